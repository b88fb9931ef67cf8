// Command bespin-kube is a multicall binary bundling a small Kubernetes
// control plane for the bespin sandbox: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl and kwok.
//
// The tool to run is chosen from the name the binary was invoked as (so a
// symlink "kube-apiserver -> bespin-kube" behaves like kube-apiserver), or
// from the first argument: "bespin-kube kubectl get nodes".
//
// Each entry point does what the upstream main package does and nothing
// more; one binary means one link step and every shared package (client-go,
// apimachinery, grpc, ...) compiled and stored once.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// tools maps a tool name to its entry point. Each function receives nothing:
// os.Args is rewritten beforehand so that os.Args[0] is the tool name and
// os.Args[1:] are its own arguments, which is what every upstream command
// (cobra, etcd's flag parsing, kwok's pre-parsing) reads.
var tools = map[string]func() int{
	"etcd":                    runEtcd,
	"kube-apiserver":          runAPIServer,
	"kube-controller-manager": runControllerManager,
	"kube-scheduler":          runScheduler,
	"kubectl":                 runKubectl,
	"kwok":                    runKwok,
	"kwok-stages":             runKwokStages,
}

func main() {
	run, ok := tools[filepath.Base(os.Args[0])]
	if !ok && len(os.Args) > 1 {
		// Invoked as bespin-kube (or any other name): the tool is the first
		// argument. Drop our own name so the tool sees a normal argv.
		if run, ok = tools[os.Args[1]]; ok {
			os.Args = os.Args[1:]
		}
	}
	if !ok {
		usage()
		os.Exit(2)
	}
	os.Exit(run())
}

func usage() {
	names := make([]string, 0, len(tools))
	for n := range tools {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: %s TOOL [ARGS...]  (or invoke through a symlink named TOOL)\ntools: %s\n",
		filepath.Base(os.Args[0]), strings.Join(names, ", "))
}

// freshGlobalFlags replaces pflag's process-wide flag set with an empty one.
// Package init functions of every linked tool register into it (notably
// k8s.io/component-base/version/verflag adds a non-bool --version), and cobra
// merges it into every root command. The control-plane commands expect that
// flag; tools built as separate binaries upstream (kubectl, kwok) never see
// it, and kwok's cobra --version handling fails outright ("version" flag
// declared as non-bool) if it is present.
func freshGlobalFlags() {
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
}
