// Command bench_llb_go marshals the same 1,000-op graph as scripts/bench_llb.ts
// with BuildKit's own Go client/llb, so the two can be compared in one run.
// It prints the op count, the median milliseconds of its rounds and the
// digest of the final op (ours must be the same).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
)

func chain(n int) llb.State {
	st := llb.Image("busybox")
	for i := 0; i < n/2; i++ {
		run := st.Run(
			llb.Shlex(fmt.Sprintf("/bin/sh -c 'echo step %d >> /log'", i)),
			llb.AddEnv("HOME", "/root"),
			llb.AddEnv("STEP", strconv.Itoa(i)),
			llb.AddMount("/root/.cache/go-build", llb.Scratch(), llb.AsPersistentCacheDir("go-build", llb.CacheMountShared)),
			llb.AddMount("/root/go/pkg/mod", llb.Scratch(), llb.AsPersistentCacheDir("go-mod", llb.CacheMountLocked)),
			llb.WithCustomName(fmt.Sprintf("step %d", i)),
		)
		st = run.Root().File(
			llb.Mkdir(fmt.Sprintf("/out/%d", i), 0o755, llb.WithParents(true)).
				Mkfile(fmt.Sprintf("/out/%d/f", i), 0o644, []byte(strconv.Itoa(i))),
		)
	}
	return st
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-def" {
		// Writes a small graph's definition, for comparing bytes with ours.
		def, err := chain(2).Marshal(context.Background())
		if err == nil {
			var dt []byte
			dt, err = def.ToPB().MarshalVT()
			if err == nil {
				err = os.WriteFile(os.Args[2], dt, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	rounds := 15
	times := make([]float64, 0, rounds)
	ops := 0
	final := ""
	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		def, err := chain(1000).Marshal(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
		ops = len(def.Def)
		final = digest.FromBytes(def.Def[len(def.Def)-1]).String()
	}
	sort.Float64s(times)
	fmt.Printf("%d %.1f %s\n", ops, times[rounds/2], final)
}
