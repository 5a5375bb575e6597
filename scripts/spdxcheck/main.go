// spdxcheck: validates SPDX 2.3 JSON documents the way SPDX tools read them,
// the oracle of melange2's SBOM tests. Each document is parsed by
// github.com/spdx/tools-golang (its 2.3 JSON model, then spdxlib's
// relationship checks), its license expressions by github.com/github/go-spdx,
// and the fields SPDX 2.3 makes mandatory are checked as the specification
// words them (clauses cited below). Prints one line per problem, prefixed with
// the file's name, and exits 1 when any document is invalid.
//
//	spdxcheck FILE.spdx.json...
package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	stdjson "encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/spdxlib"
)

var (
	idString      = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	licenseRefUse = regexp.MustCompile(`LicenseRef-[A-Za-z0-9.-]+`)
	created       = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	hexLen        = map[common.ChecksumAlgorithm]int{
		common.SHA1: 40, common.SHA224: 56, common.SHA256: 64, common.SHA384: 96,
		common.SHA512: 128, common.MD5: 32,
	}
	// 11.1: the relationship types SPDX 2.3 defines.
	relTypes = strings.Fields(`DESCRIBES DESCRIBED_BY CONTAINS CONTAINED_BY DEPENDS_ON
		DEPENDENCY_OF DEPENDENCY_MANIFEST_OF BUILD_DEPENDENCY_OF DEV_DEPENDENCY_OF
		OPTIONAL_DEPENDENCY_OF PROVIDED_DEPENDENCY_OF TEST_DEPENDENCY_OF
		RUNTIME_DEPENDENCY_OF EXAMPLE_OF GENERATES GENERATED_FROM ANCESTOR_OF
		DESCENDANT_OF VARIANT_OF DISTRIBUTION_ARTIFACT PATCH_FOR PATCH_APPLIED
		COPY_OF FILE_ADDED FILE_DELETED FILE_MODIFIED EXPANDED_FROM_ARCHIVE
		DYNAMIC_LINK STATIC_LINK DATA_FILE_OF TEST_CASE_OF BUILD_TOOL_OF
		DEV_TOOL_OF TEST_OF TEST_TOOL_OF DOCUMENTATION_OF OPTIONAL_COMPONENT_OF
		METAFILE_OF PACKAGE_OF AMENDS PREREQUISITE_FOR HAS_PREREQUISITE
		REQUIREMENT_DESCRIPTION_FOR SPECIFICATION_FOR OTHER`)
	// 7.21: external reference categories (the JSON schema spells them both ways).
	refCategories = strings.Fields(`SECURITY PACKAGE-MANAGER PACKAGE_MANAGER
		PERSISTENT-ID PERSISTENT_ID OTHER`)
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: spdxcheck FILE.spdx.json...")
		os.Exit(2)
	}
	bad := false
	for _, name := range os.Args[1:] {
		for _, p := range check(name) {
			fmt.Printf("%s: %s\n", name, p)
			bad = true
		}
	}
	if bad {
		os.Exit(1)
	}
}

// check returns the problems of one document (none when it is valid).
func check(name string) []string {
	data, err := os.ReadFile(name)
	if err != nil {
		return []string{err.Error()}
	}
	var head struct {
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := stdjson.Unmarshal(data, &head); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if head.SPDXVersion != v2_3.Version {
		return []string{fmt.Sprintf("spdxVersion is %q, not %q", head.SPDXVersion, v2_3.Version)}
	}
	var doc v2_3.Document
	if err := spdxjson.ReadInto(bytes.NewReader(data), &doc); err != nil {
		return []string{"tools-golang cannot read it: " + err.Error()}
	}
	var probs []string
	add := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	if err := spdxlib.ValidateDocument(&doc); err != nil {
		add("spdxlib: %v", err)
	}
	probs = append(probs, checkDocument(&doc)...)
	probs = append(probs, checkLicenseRefs(&doc, data)...)
	files := map[common.ElementID]*v2_3.File{}
	for _, f := range doc.Files {
		if files[f.FileSPDXIdentifier] != nil {
			add("file SPDXID %s is not unique", f.FileSPDXIdentifier)
		}
		files[f.FileSPDXIdentifier] = f
		probs = append(probs, checkFile(f)...)
	}
	for _, p := range doc.Packages {
		probs = append(probs, checkPackage(p, contained(&doc, p.PackageSPDXIdentifier, files))...)
	}
	return probs
}

// checkDocument: clause 6 (document creation information).
func checkDocument(doc *v2_3.Document) []string {
	var probs []string
	add := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	if doc.DataLicense != v2_3.DataLicense {
		add("6.2 dataLicense is %q, not CC0-1.0", doc.DataLicense)
	}
	if doc.SPDXIdentifier != "DOCUMENT" {
		add("6.3 the document's SPDXID is SPDXRef-%s, not SPDXRef-DOCUMENT", doc.SPDXIdentifier)
	}
	if doc.DocumentName == "" {
		add("6.4 the document has no name")
	}
	u, err := url.Parse(doc.DocumentNamespace)
	if err != nil || !u.IsAbs() || strings.Contains(doc.DocumentNamespace, "#") {
		add("6.5 documentNamespace %q is not an absolute URI without '#'", doc.DocumentNamespace)
	}
	ci := doc.CreationInfo
	if ci == nil {
		add("6.8 the document has no creationInfo")
		return probs
	}
	if len(ci.Creators) == 0 {
		add("6.8 creationInfo names no creator")
	}
	for _, c := range ci.Creators {
		if c.CreatorType != "Person" && c.CreatorType != "Organization" && c.CreatorType != "Tool" {
			add("6.8 creator %q is not Person:, Organization: or Tool:", c.Creator)
		}
	}
	if !created.MatchString(ci.Created) {
		add("6.9 created %q is not YYYY-MM-DDThh:mm:ssZ", ci.Created)
	}
	described := false
	for _, r := range doc.Relationships {
		if !contains(relTypes, r.Relationship) {
			add("11.1 relationship type %q is not SPDX 2.3's", r.Relationship)
		}
		if r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == doc.SPDXIdentifier {
			described = true
		}
	}
	if !described {
		add("6: the document describes nothing (no DESCRIBES relationship or documentDescribes)")
	}
	return probs
}

// 10.1: every LicenseRef- the document uses is defined in it.
func checkLicenseRefs(doc *v2_3.Document, data []byte) []string {
	var probs []string
	defined := map[string]bool{}
	for _, l := range doc.OtherLicenses {
		defined[l.LicenseIdentifier] = true
		if l.ExtractedText == "" {
			probs = append(probs, fmt.Sprintf("10.2 %s has no extractedText", l.LicenseIdentifier))
		}
	}
	seen := map[string]bool{}
	for _, ref := range licenseRefUse.FindAllString(string(data), -1) {
		if !defined[ref] && !seen[ref] && !strings.Contains(ref, "DocumentRef") {
			probs = append(probs, fmt.Sprintf("10.1 %s is used but not defined in hasExtractedLicensingInfos", ref))
		}
		seen[ref] = true
	}
	return probs
}

// checkFile: clause 8 (file information).
func checkFile(f *v2_3.File) []string {
	var probs []string
	add := func(s string, a ...any) {
		probs = append(probs, fmt.Sprintf("file %s: ", f.FileName)+fmt.Sprintf(s, a...))
	}
	if f.FileName == "" {
		add("8.1 no fileName")
	} else if strings.HasPrefix(f.FileName, "/") {
		add("8.1 fileName is an absolute path (SPDX tools want it relative, ./path)")
	}
	if !idString.MatchString(string(f.FileSPDXIdentifier)) {
		add("8.2 SPDXID SPDXRef-%s is not SPDXRef-[A-Za-z0-9.-]+", f.FileSPDXIdentifier)
	}
	checksums(f.Checksums, "8.4", add)
	if f.LicenseConcluded != "" {
		license("8.5 licenseConcluded", f.LicenseConcluded, add)
	}
	return probs
}

// checkPackage: clause 7 (package information), with the verification code
// computed from the files the package contains (7.9).
func checkPackage(p *v2_3.Package, files []*v2_3.File) []string {
	var probs []string
	add := func(s string, a ...any) {
		probs = append(probs, fmt.Sprintf("package %s: ", p.PackageName)+fmt.Sprintf(s, a...))
	}
	if p.PackageName == "" {
		add("7.1 no name")
	}
	if !idString.MatchString(string(p.PackageSPDXIdentifier)) {
		add("7.2 SPDXID SPDXRef-%s is not SPDXRef-[A-Za-z0-9.-]+", p.PackageSPDXIdentifier)
	}
	if p.PackageDownloadLocation == "" {
		add("7.7 no downloadLocation")
	}
	if p.FilesAnalyzed {
		if p.PackageVerificationCode == nil || p.PackageVerificationCode.Value == "" {
			add("7.9 filesAnalyzed but no packageVerificationCode")
		} else if want := verificationCode(files); p.PackageVerificationCode.Value != want {
			add("7.9 packageVerificationCode %s, the files it contains give %s", p.PackageVerificationCode.Value, want)
		}
	} else if p.PackageVerificationCode != nil {
		add("7.9 packageVerificationCode without filesAnalyzed")
	}
	checksums(p.PackageChecksums, "7.10", add)
	for _, l := range []struct{ clause, v string }{
		{"7.13 licenseConcluded", p.PackageLicenseConcluded},
		{"7.15 licenseDeclared", p.PackageLicenseDeclared},
	} {
		if l.v != "" {
			license(l.clause, l.v, add)
		}
	}
	for _, r := range p.PackageExternalReferences {
		if !contains(refCategories, r.Category) {
			add("7.21 external reference category %q", r.Category)
		}
		if r.RefType == "" || r.Locator == "" || strings.ContainsAny(r.Locator, " \t\n") {
			add("7.21 external reference %q %q", r.RefType, r.Locator)
		}
		if r.RefType == "purl" && !strings.HasPrefix(r.Locator, "pkg:") {
			add("7.21 purl %q does not start with pkg:", r.Locator)
		}
	}
	return probs
}

// The files a package CONTAINS (hasFiles becomes such relationships).
func contained(doc *v2_3.Document, id common.ElementID, files map[common.ElementID]*v2_3.File) []*v2_3.File {
	var out []*v2_3.File
	for _, r := range doc.Relationships {
		if r.Relationship == common.TypeRelationshipContains && r.RefA.ElementRefID == id {
			if f := files[r.RefB.ElementRefID]; f != nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// 7.9.4: the SHA-1 of the files' SHA-1s (lower-case hex), sorted, concatenated.
func verificationCode(files []*v2_3.File) string {
	var sums []string
	for _, f := range files {
		for _, c := range f.Checksums {
			if c.Algorithm == common.SHA1 {
				sums = append(sums, strings.ToLower(c.Value))
			}
		}
	}
	sort.Strings(sums)
	h := sha1.Sum([]byte(strings.Join(sums, "")))
	return hex.EncodeToString(h[:])
}

// checksums: each known algorithm's value is lower-case hex of its length; files need a SHA1.
func checksums(cs []common.Checksum, clause string, add func(string, ...any)) {
	hasSHA1 := false
	for _, c := range cs {
		n, known := hexLen[c.Algorithm]
		if !known {
			continue
		}
		if _, err := hex.DecodeString(c.Value); err != nil || len(c.Value) != n || strings.ToLower(c.Value) != c.Value {
			add("%s %s checksum %q is not %d lower-case hex digits", clause, c.Algorithm, c.Value, n)
		}
		hasSHA1 = hasSHA1 || c.Algorithm == common.SHA1
	}
	if clause == "8.4" && !hasSHA1 {
		add("8.4 no SHA1 checksum")
	}
}

// license: NOASSERTION, NONE or an SPDX license expression (go-spdx, as melange checks them).
func license(what, expr string, add func(string, ...any)) {
	if expr == "NOASSERTION" || expr == "NONE" {
		return
	}
	if ok, bad := spdxexp.ValidateLicenses([]string{expr}); !ok {
		add("%s %q is not an SPDX license expression (%s)", what, expr, strings.Join(bad, ", "))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
