// Command llbref replays melange2's graph descriptions (lib/llb/describe.ts)
// through BuildKit's own Go client (client/llb), so tests can compare its
// bytes with ours. It is built by scripts/setup.sh against
// github.com/moby/buildkit v0.32.2 in a throwaway module.
//
//	llbref marshal   JSON descriptions, one per line, on stdin; for each, one
//	                 line on stdout: the base64 of the deterministically
//	                 serialized pb.Definition, or "error: MESSAGE"
//	llbref bench N   marshals the 1,000-op benchmark graph N times after 3
//	                 warm-up rounds; prints the median CPU milliseconds
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"
)

type obj = map[string]any

type description struct {
	Platform      obj    `json:"platform"`
	LocalUniqueID string `json:"localUniqueId"`
	Nodes         []obj  `json:"nodes"`
	Output        int    `json:"output"`
}

type replay struct {
	nodes  []obj
	states map[int]llb.State
	runs   map[int]llb.ExecState
}

func str(m obj, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m obj, k string) int64 {
	switch v := m[k].(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			panic(fmt.Sprintf("%s: %v", k, err))
		}
		return n
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", k, err))
		}
		return n
	}
	return 0
}

func has(m obj, k string) bool {
	_, ok := m[k]
	return ok
}

func flag(m obj, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func sub(m obj, k string) obj {
	o, _ := m[k].(obj)
	if o == nil {
		return obj{}
	}
	return o
}

func list(m obj, k string) []any {
	l, _ := m[k].([]any)
	return l
}

func strs(m obj, k string) []string {
	var out []string
	for _, v := range list(m, k) {
		out = append(out, v.(string))
	}
	return out
}

func platformOf(m obj) ocispecs.Platform {
	return ocispecs.Platform{
		OS: str(m, "os"), Architecture: str(m, "architecture"), Variant: str(m, "variant"),
		OSVersion: str(m, "osVersion"), OSFeatures: strs(m, "osFeatures"),
	}
}

func (r *replay) state(v any) llb.State {
	n, err := v.(json.Number).Int64()
	if err != nil {
		panic(err)
	}
	st, ok := r.states[int(n)]
	if !ok {
		panic(fmt.Sprintf("node %d is not a state", n))
	}
	return st
}

// opOpts are the ConstraintsOpts of OpOptions, in the order melange2 applies them.
func opOpts(o obj) []llb.ConstraintsOpt {
	var out []llb.ConstraintsOpt
	if d := sub(o, "description"); len(d) > 0 {
		m := map[string]string{}
		for k, v := range d {
			m[k] = v.(string)
		}
		out = append(out, llb.WithDescription(m))
	}
	if has(o, "customName") {
		out = append(out, llb.WithCustomName(str(o, "customName")))
	}
	if has(o, "progressGroup") {
		g := sub(o, "progressGroup")
		out = append(out, llb.ProgressGroup(str(g, "id"), str(g, "name"), flag(g, "weak")))
	}
	if flag(o, "ignoreCache") {
		out = append(out, llb.IgnoreCache)
	}
	if has(o, "exportCache") {
		if flag(o, "exportCache") {
			out = append(out, llb.WithExportCache())
		} else {
			out = append(out, llb.WithoutExportCache())
		}
	}
	if has(o, "platform") {
		out = append(out, llb.Platform(platformOf(sub(o, "platform"))))
	}
	if r := strs(o, "requires"); len(r) > 0 {
		out = append(out, llb.Require(r...))
	}
	if has(o, "linuxResources") {
		l := sub(o, "linuxResources")
		out = append(out, llb.WithLinuxResources(llb.LinuxResources{
			Memory: num(l, "memory"), MemorySwap: num(l, "memorySwap"), CPUShares: uint64(num(l, "cpuShares")),
			CPUPeriod: uint64(num(l, "cpuPeriod")), CPUQuota: num(l, "cpuQuota"),
			CpusetCpus: str(l, "cpusetCpus"), CpusetMems: str(l, "cpusetMems"),
		}))
	}
	return out
}

func imageOpts(o obj) []llb.ImageOption {
	var out []llb.ImageOption
	switch str(o, "resolveMode") {
	case "pull":
		out = append(out, llb.ResolveModeForcePull)
	case "local":
		out = append(out, llb.ResolveModePreferLocal)
	}
	if has(o, "layerLimit") {
		out = append(out, llb.WithLayerLimit(int(num(o, "layerLimit"))))
	}
	if c := str(o, "checksum"); c != "" {
		out = append(out, llb.WithImageChecksum(digest.Digest(c)))
	}
	if flag(o, "internal") {
		out = append(out, llb.MarkImageInternal)
	}
	for _, c := range opOpts(o) {
		out = append(out, c)
	}
	return out
}

func localOpts(o obj) []llb.LocalOption {
	var out []llb.LocalOption
	if p := strs(o, "includePatterns"); p != nil {
		out = append(out, llb.IncludePatterns(p))
	}
	if p := strs(o, "excludePatterns"); p != nil {
		out = append(out, llb.ExcludePatterns(p))
	}
	if p := strs(o, "followPaths"); p != nil {
		out = append(out, llb.FollowPaths(p))
	}
	if v := str(o, "sharedKeyHint"); v != "" {
		out = append(out, llb.SharedKeyHint(v))
	}
	if v := str(o, "uniqueId"); v != "" {
		out = append(out, llb.LocalUniqueID(v))
	}
	if v := str(o, "sessionId"); v != "" {
		out = append(out, llb.SessionID(v))
	}
	if has(o, "differ") {
		d := sub(o, "differ")
		out = append(out, llb.Differ(llb.DiffType(str(d, "type")), flag(d, "required")))
	}
	if has(o, "metadataOnly") {
		out = append(out, llb.MetadataOnlyTransfer(strs(sub(o, "metadataOnly"), "exceptions")))
	}
	for _, c := range opOpts(o) {
		out = append(out, c)
	}
	return out
}

func gitOpts(o obj) []llb.GitOption {
	var out []llb.GitOption
	if flag(o, "keepGitDir") {
		out = append(out, llb.KeepGitDir())
	}
	if has(o, "authHeaderSecret") {
		out = append(out, llb.AuthHeaderSecret(str(o, "authHeaderSecret")))
	}
	if has(o, "authTokenSecret") {
		out = append(out, llb.AuthTokenSecret(str(o, "authTokenSecret")))
	}
	if has(o, "ref") {
		out = append(out, llb.GitRef(str(o, "ref")))
	}
	if has(o, "subdir") {
		out = append(out, llb.GitSubDir(str(o, "subdir")))
	}
	for _, k := range strs(o, "knownSshHosts") {
		out = append(out, llb.KnownSSHHosts(k))
	}
	if v := str(o, "mountSshSock"); v != "" {
		out = append(out, llb.MountSSHSock(v))
	}
	if v := str(o, "checksum"); v != "" {
		out = append(out, llb.GitChecksum(v))
	}
	if flag(o, "skipSubmodules") {
		out = append(out, llb.GitSkipSubmodules())
	}
	if v := str(o, "mtime"); v != "" {
		out = append(out, llb.GitMTime(v))
	}
	if flag(o, "fetchByCommit") {
		out = append(out, llb.GitFetchByCommit())
	}
	for _, c := range opOpts(o) {
		out = append(out, c)
	}
	return out
}

func httpOpts(o obj) []llb.HTTPOption {
	var out []llb.HTTPOption
	if v := str(o, "checksum"); v != "" {
		out = append(out, llb.Checksum(digest.Digest(v)))
	}
	if v := str(o, "filename"); v != "" {
		out = append(out, llb.Filename(v))
	}
	if has(o, "chmod") {
		out = append(out, llb.Chmod(os.FileMode(num(o, "chmod"))))
	}
	if has(o, "uid") || has(o, "gid") {
		out = append(out, llb.Chown(int(num(o, "uid")), int(num(o, "gid"))))
	}
	if v := str(o, "authHeaderSecret"); v != "" {
		out = append(out, llb.AuthHeaderSecret(v))
	}
	if has(o, "headers") {
		h := sub(o, "headers")
		out = append(out, llb.Header(llb.HTTPHeader{Accept: str(h, "accept"), UserAgent: str(h, "userAgent")}))
	}
	if has(o, "pgp") {
		p := sub(o, "pgp")
		out = append(out, llb.VerifyPGPSignature(llb.HTTPSignatureInfo{
			PubKey: []byte(str(p, "pubKey")), Signature: []byte(str(p, "signature")),
		}))
	}
	for _, c := range opOpts(o) {
		out = append(out, c)
	}
	return out
}

func ociOpts(o obj) []llb.OCILayoutOption {
	var out []llb.OCILayoutOption
	if has(o, "sessionId") || has(o, "storeId") {
		out = append(out, llb.OCIStore(str(o, "sessionId"), str(o, "storeId")))
	}
	if has(o, "layerLimit") {
		out = append(out, llb.OCILayerLimit(int(num(o, "layerLimit"))))
	}
	for _, c := range opOpts(o) {
		out = append(out, c)
	}
	return out
}

var netModes = map[string]pb.NetMode{"sandbox": llb.NetModeSandbox, "host": llb.NetModeHost, "none": llb.NetModeNone}
var securityModes = map[string]pb.SecurityMode{"sandbox": llb.SecurityModeSandbox, "insecure": llb.SecurityModeInsecure}
var sharing = map[string]llb.CacheMountSharingMode{"": llb.CacheMountShared, "shared": llb.CacheMountShared, "private": llb.CacheMountPrivate, "locked": llb.CacheMountLocked}
var contentCache = map[string]llb.MountContentCache{"default": llb.MountContentCacheDefault, "on": llb.MountContentCacheOn, "off": llb.MountContentCacheOff}

// setting is a state setting as the node that made it describes it.
func setting(n obj) llb.StateOption {
	switch str(n, "kind") {
	case "env":
		return llb.AddEnv(str(n, "key"), str(n, "value"))
	case "dir":
		return llb.Dir(str(n, "path"))
	case "user":
		return llb.User(str(n, "name"))
	case "hostname":
		return llb.Hostname(str(n, "name"))
	case "network":
		return llb.Network(netModes[str(n, "mode")])
	case "security":
		return llb.Security(securityModes[str(n, "mode")])
	case "platform":
		return func(s llb.State) llb.State { return s.Platform(platformOf(sub(n, "platform"))) }
	case "extraHost":
		return func(s llb.State) llb.State { return s.AddExtraHost(str(n, "host"), net.ParseIP(str(n, "ip"))) }
	case "ulimit":
		return func(s llb.State) llb.State {
			return s.AddUlimit(llb.UlimitName(str(n, "name")), num(n, "soft"), num(n, "hard"))
		}
	case "cgroupParent":
		return func(s llb.State) llb.State { return s.WithCgroupParent(str(n, "path")) }
	}
	return nil
}

func (r *replay) mountOpts(m obj) []llb.MountOption {
	var out []llb.MountOption
	if flag(m, "readonly") {
		out = append(out, llb.Readonly)
	}
	if v := str(m, "selector"); v != "" {
		out = append(out, llb.SourcePath(v))
	}
	if flag(m, "noOutput") {
		out = append(out, llb.ForceNoOutput)
	}
	if v := str(m, "contentCache"); v != "" {
		out = append(out, llb.ContentCache(contentCache[v]))
	}
	return out
}

func (r *replay) run(n obj) llb.ExecState {
	o := sub(n, "opts")
	opts := []llb.RunOption{llb.Args(strs(n, "args"))}
	for _, w := range list(n, "with") {
		i, _ := w.(json.Number).Int64()
		opts = append(opts, llb.With(setting(r.nodes[i])))
	}
	if codes := list(o, "validExitCodes"); len(codes) > 0 {
		var ints []int
		for _, c := range codes {
			v, _ := c.(json.Number).Int64()
			ints = append(ints, int(v))
		}
		opts = append(opts, llb.ValidExitCodes(ints...))
	}
	var secrets, sshs []llb.RunOption
	for _, mv := range list(o, "mounts") {
		m := mv.(obj)
		target := str(m, "target")
		switch str(m, "type") {
		case "bind":
			opts = append(opts, llb.AddMount(target, r.state(m["source"]), r.mountOpts(m)...))
		case "cache":
			src := llb.Scratch()
			if has(m, "source") {
				src = r.state(m["source"])
			}
			mo := append([]llb.MountOption{llb.AsPersistentCacheDir(str(m, "id"), sharing[str(m, "sharing")])}, r.mountOpts(m)...)
			opts = append(opts, llb.AddMount(target, src, mo...))
		case "tmpfs":
			var to []llb.TmpfsOption
			if has(m, "size") {
				to = append(to, llb.TmpfsSize(num(m, "size")))
			}
			opts = append(opts, llb.AddMount(target, llb.Scratch(), llb.Tmpfs(to...)))
		case "secret":
			so := []llb.SecretOption{}
			if has(m, "id") {
				so = append(so, llb.SecretID(str(m, "id")))
			}
			if has(m, "uid") || has(m, "gid") || has(m, "mode") {
				mode := int64(0o400)
				if has(m, "mode") {
					mode = num(m, "mode")
				}
				so = append(so, llb.SecretFileOpt(int(num(m, "uid")), int(num(m, "gid")), int(mode)))
			}
			if flag(m, "optional") {
				so = append(so, llb.SecretOptional)
			}
			secrets = append(secrets, llb.AddSecret(target, so...))
		case "ssh":
			so := []llb.SSHOption{}
			if has(m, "id") {
				so = append(so, llb.SSHID(str(m, "id")))
			}
			if has(m, "uid") || has(m, "gid") || has(m, "mode") {
				mode := int64(0o600)
				if has(m, "mode") {
					mode = num(m, "mode")
				}
				so = append(so, llb.SSHSocketOpt(target, int(num(m, "uid")), int(num(m, "gid")), int(mode)))
			} else if target != "" {
				so = append(so, llb.SSHSocketTarget(target))
			}
			if flag(m, "optional") {
				so = append(so, llb.SSHOptional)
			}
			sshs = append(sshs, llb.AddSSHSocket(so...))
		}
	}
	for _, ev := range list(o, "secretEnv") {
		e := ev.(obj)
		id := str(e, "name")
		if has(e, "id") {
			id = str(e, "id")
		}
		so := []llb.SecretOption{llb.SecretID(id), llb.SecretAsEnv(true)}
		if flag(e, "optional") {
			so = append(so, llb.SecretOptional)
		}
		secrets = append(secrets, llb.AddSecret(str(e, "name"), so...))
	}
	opts = append(opts, secrets...)
	opts = append(opts, sshs...)
	if flag(o, "readonlyRootfs") {
		opts = append(opts, llb.ReadonlyRootFS())
	}
	if has(o, "proxyEnv") {
		p := sub(o, "proxyEnv")
		opts = append(opts, llb.WithProxy(llb.ProxyEnv{
			HTTPProxy: str(p, "httpProxy"), HTTPSProxy: str(p, "httpsProxy"), FTPProxy: str(p, "ftpProxy"),
			NoProxy: str(p, "noProxy"), AllProxy: str(p, "allProxy"),
		}))
	}
	for _, dv := range list(o, "cdiDevices") {
		d := dv.(obj)
		co := []llb.CDIDeviceOption{llb.CDIDeviceName(str(d, "name"))}
		if flag(d, "optional") {
			co = append(co, llb.CDIDeviceOptional)
		}
		opts = append(opts, llb.AddCDIDevice(co...))
	}
	for _, c := range opOpts(o) {
		opts = append(opts, c)
	}
	return r.state(n["state"]).Run(opts...)
}

func userOpt(v any) *llb.UserOpt {
	switch u := v.(type) {
	case json.Number:
		n, _ := u.Int64()
		return &llb.UserOpt{UID: int(n)}
	case string:
		return &llb.UserOpt{Name: u}
	}
	return nil
}

func chownOf(o obj) *llb.ChownOpt {
	switch c := o["chown"].(type) {
	case string:
		co := llb.WithUser(c).(llb.ChownOpt)
		return &co
	case obj:
		return &llb.ChownOpt{User: userOpt(c["user"]), Group: userOpt(c["group"])}
	}
	return nil
}

func createdOf(o obj) *time.Time {
	if !has(o, "createdTime") {
		return nil
	}
	t := time.Unix(0, num(o, "createdTime"))
	return &t
}

type createOpt struct {
	chown   *llb.ChownOpt
	created *time.Time
}

func (c createOpt) SetMkdirOption(mi *llb.MkdirInfo) {
	mi.ChownOpt, mi.CreatedTime = c.chown, c.created
}
func (c createOpt) SetMkfileOption(mi *llb.MkfileInfo) {
	mi.ChownOpt, mi.CreatedTime = c.chown, c.created
}
func (c createOpt) SetSymlinkOption(si *llb.SymlinkInfo) {
	si.ChownOpt, si.CreatedTime = c.chown, c.created
}

func (r *replay) action(prev *llb.FileAction, a obj) *llb.FileAction {
	o := sub(a, "opts")
	co := createOpt{chownOf(o), createdOf(o)}
	path, mode := str(a, "path"), os.FileMode(num(a, "mode"))
	switch str(a, "kind") {
	case "mkdir":
		if prev == nil {
			return llb.Mkdir(path, mode, llb.WithParents(flag(o, "parents")), co)
		}
		return prev.Mkdir(path, mode, llb.WithParents(flag(o, "parents")), co)
	case "mkfile":
		data, err := base64.StdEncoding.DecodeString(str(a, "data"))
		if err != nil {
			panic(err)
		}
		if prev == nil {
			return llb.Mkfile(path, mode, data, co)
		}
		return prev.Mkfile(path, mode, data, co)
	case "rm":
		ro := []llb.RmOption{llb.WithAllowNotFound(flag(o, "allowNotFound")), llb.WithAllowWildcard(flag(o, "allowWildcard"))}
		if prev == nil {
			return llb.Rm(path, ro...)
		}
		return prev.Rm(path, ro...)
	case "symlink":
		if prev == nil {
			return llb.Symlink(str(a, "oldpath"), str(a, "newpath"), co)
		}
		return prev.Symlink(str(a, "oldpath"), str(a, "newpath"), co)
	case "copy":
		ci := &llb.CopyInfo{
			FollowSymlinks: flag(o, "followSymlinks"), CopyDirContentsOnly: flag(o, "copyDirContentsOnly"),
			IncludePatterns: strs(o, "includePatterns"), ExcludePatterns: strs(o, "excludePatterns"),
			RequiredPaths: strs(o, "requiredPaths"), AttemptUnpack: flag(o, "attemptUnpack"),
			CreateDestPath: flag(o, "createDestPath"), AllowWildcard: flag(o, "allowWildcard"),
			AllowEmptyWildcard: flag(o, "allowEmptyWildcard"), ChownOpt: co.chown, CreatedTime: co.created,
			AlwaysReplaceExistingDestPaths: flag(o, "alwaysReplaceExistingDestPaths"),
		}
		switch m := o["mode"].(type) {
		case string:
			ci.Mode = &llb.ChmodOpt{ModeStr: m}
		case json.Number:
			n, _ := m.Int64()
			ci.Mode = &llb.ChmodOpt{Mode: os.FileMode(n)}
		}
		from := r.state(a["from"])
		if prev == nil {
			return llb.Copy(from, str(a, "src"), str(a, "dest"), ci)
		}
		return prev.Copy(from, str(a, "src"), str(a, "dest"), ci)
	}
	panic(fmt.Sprintf("unknown action %q", str(a, "kind")))
}

func (r *replay) node(i int, n obj) {
	o := sub(n, "opts")
	st := func(k string) llb.State { return r.state(n[k]) }
	switch kind := str(n, "kind"); kind {
	case "scratch":
		r.states[i] = llb.Scratch()
	case "image":
		r.states[i] = llb.Image(str(n, "ref"), imageOpts(o)...)
	case "local":
		r.states[i] = llb.Local(str(n, "name"), localOpts(o)...)
	case "git":
		r.states[i] = llb.Git(str(n, "remote"), str(n, "fragment"), gitOpts(o)...)
	case "http":
		r.states[i] = llb.HTTP(str(n, "url"), httpOpts(o)...)
	case "ociLayout":
		r.states[i] = llb.OCILayout(str(n, "ref"), ociOpts(o)...)
	case "env", "dir", "user", "platform", "network", "security", "hostname", "extraHost", "ulimit", "cgroupParent":
		r.states[i] = st("state").With(setting(n))
	case "run":
		r.runs[i] = r.run(n)
	case "root":
		run, _ := n["run"].(json.Number).Int64()
		r.states[i] = r.runs[int(run)].Root()
	case "mount":
		run, _ := n["run"].(json.Number).Int64()
		r.states[i] = r.runs[int(run)].GetMount(str(n, "target"))
	case "file":
		var chain *llb.FileAction
		for _, a := range list(n, "actions") {
			chain = r.action(chain, a.(obj))
		}
		r.states[i] = st("state").File(chain, opOpts(o)...)
	case "merge":
		var states []llb.State
		for _, s := range list(n, "states") {
			states = append(states, r.state(s))
		}
		r.states[i] = llb.Merge(states, opOpts(o)...)
	case "diff":
		r.states[i] = llb.Diff(st("lower"), st("upper"), opOpts(o)...)
	case "requires":
		var deps []llb.State
		for _, s := range list(n, "deps") {
			deps = append(deps, r.state(s))
		}
		r.states[i] = st("state").Requires(str(n, "id"), deps...)
	default:
		panic(fmt.Sprintf("unknown node kind %q", kind))
	}
}

// marshal replays one description and serializes its definition as the
// vector generator does.
func marshal(line []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	var d description
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	r := &replay{nodes: d.Nodes, states: map[int]llb.State{}, runs: map[int]llb.ExecState{}}
	for i, n := range d.Nodes {
		r.node(i, n)
	}
	uid := d.LocalUniqueID
	if uid == "" {
		uid = "melange2"
	}
	plat := llb.LinuxAmd64
	if d.Platform != nil {
		plat = llb.Platform(platformOf(d.Platform))
	}
	def, err := r.state(json.Number(strconv.Itoa(d.Output))).Marshal(context.Background(), plat, llb.LocalUniqueID(uid))
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(def.ToPB())
}

func cpuMs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// perf1000 is the vector generator's 1,000-op graph (tests/llb/vector_graphs.ts).
func perf1000() llb.State {
	st := llb.Image("cgr.dev/chainguard/wolfi-base:latest")
	ctx := llb.Local("ctx")
	for i := 0; i < 998; i++ {
		switch i % 4 {
		case 0:
			st = st.AddEnv("STEP", fmt.Sprint(i)).Run(llb.Args([]string{"/bin/sh", "-c", fmt.Sprintf("echo step %d", i)}),
				llb.AddMount("/cache", llb.Scratch(), llb.AsPersistentCacheDir("c", llb.CacheMountShared)),
				llb.WithCustomName(fmt.Sprintf("step %d", i))).Root()
		case 1:
			st = st.File(llb.Mkfile(fmt.Sprintf("/f/%d", i), 0o644, []byte("data")))
		case 2:
			st = st.File(llb.Copy(ctx, fmt.Sprintf("/src/%d", i), fmt.Sprintf("/dst/%d", i)))
		case 3:
			st = st.File(llb.Mkdir(fmt.Sprintf("/d/%d", i), 0o755, llb.WithParents(true)))
		}
	}
	return st
}

// bench prints the median CPU and wall milliseconds of building and
// marshalling perf1000 to bytes, and the definition's size as a check.
func bench(n int) error {
	var cpu, wall []float64
	size := 0
	for i := 0; i < n+3; i++ {
		c0, t0 := cpuMs(), time.Now()
		def, err := perf1000().Marshal(context.Background(), llb.LinuxAmd64, llb.LocalUniqueID("lv-unique-id"))
		if err != nil {
			return err
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(def.ToPB())
		if err != nil {
			return err
		}
		if i >= 3 {
			cpu = append(cpu, cpuMs()-c0)
			wall = append(wall, float64(time.Since(t0).Microseconds())/1000)
			size = len(b)
		}
	}
	sort.Float64s(cpu)
	sort.Float64s(wall)
	fmt.Printf("%.3f %.3f %d\n", cpu[len(cpu)/2], wall[len(wall)/2], size)
	return nil
}

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "marshal":
		in := bufio.NewReader(os.Stdin)
		out := bufio.NewWriter(os.Stdout)
		defer out.Flush()
		for {
			line, err := in.ReadBytes('\n')
			if len(line) > 1 {
				b, merr := marshal(line)
				if merr != nil {
					fmt.Fprintf(out, "error: %s\n", oneLine(merr.Error()))
				} else {
					fmt.Fprintln(out, base64.StdEncoding.EncodeToString(b))
				}
				out.Flush()
			}
			if err != nil {
				return
			}
		}
	case len(os.Args) == 3 && os.Args[1] == "bench":
		n, _ := strconv.Atoi(os.Args[2])
		if err := bench(n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: llbref marshal | llbref bench N")
		os.Exit(2)
	}
}

func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
