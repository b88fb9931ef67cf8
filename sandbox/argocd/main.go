// Command argocd is a multicall binary bundling the Argo CD components the
// bespin sandbox runs: argocd-application-controller, argocd-repo-server,
// argocd-applicationset-controller, argocd-server, argocd-git-ask-pass and
// the argocd CLI.
//
// The component to run is chosen the way upstream's cmd/main.go chooses it:
// from $ARGOCD_BINARY_NAME if set, else from the name the binary was invoked
// as (so a symlink "argocd-repo-server -> argocd" behaves like
// argocd-repo-server). Any other name runs the CLI, as upstream does. The
// component may also be the first argument: "argocd argocd-repo-server --help".
//
// $ARGOCD_BINARY_NAME matters at run time: when the repo-server runs git
// with credentials it sets GIT_ASKPASS=argocd and
// ARGOCD_BINARY_NAME=argocd-git-ask-pass, so git runs this binary (found as
// "argocd" on PATH) which then asks the repo-server for the credentials over
// its unix socket.
//
// Each entry point is the upstream command constructor and nothing more.
package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	appsetcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-applicationset-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	apiserver "github.com/argoproj/argo-cd/v3/cmd/argocd-server/commands"
	cli "github.com/argoproj/argo-cd/v3/cmd/argocd/commands"
	argolog "github.com/argoproj/argo-cd/v3/util/log"
)

// component is one entry point. cli marks the commands upstream treats as
// user-facing CLIs: cobra's own error and usage output is silenced and an
// unknown sub-command is looked up as an "argocd-<name>" plugin on PATH.
type component struct {
	newCommand func() *cobra.Command
	cli        bool
}

var components = map[string]component{
	"argocd":                           {cli.NewCommand, true},
	"argocd-application-controller":    {appcontroller.NewCommand, false},
	"argocd-applicationset-controller": {appsetcontroller.NewCommand, false},
	"argocd-git-ask-pass":              {gitaskpass.NewCommand, true},
	"argocd-repo-server":               {reposerver.NewCommand, false},
	"argocd-server":                    {apiserver.NewCommand, false},
}

// binaryNameEnv overrides the invoked name (upstream's ARGOCD_BINARY_NAME).
const binaryNameEnv = "ARGOCD_BINARY_NAME"

func init() {
	// Same as upstream: klog output goes through logrus with the configured
	// level and format.
	klog.SetLogger(argolog.NewLogrusLogger(argolog.NewWithCurrentConfig()))
}

func main() {
	name := os.Getenv(binaryNameEnv)
	if name == "" {
		name = filepath.Base(os.Args[0])
	}
	if len(os.Args) > 1 {
		if _, ok := components[os.Args[1]]; ok {
			// "argocd argocd-repo-server ...": drop our own name so the
			// component sees a normal argv.
			name, os.Args = os.Args[1], os.Args[1:]
		}
	}
	comp, ok := components[name]
	if !ok {
		comp = components["argocd"] // upstream's default: the CLI
	}

	command := comp.newCommand()
	if comp.cli {
		command.SilenceErrors = true
		command.SilenceUsage = true
	}
	err := command.Execute()
	if err == nil {
		return
	}
	// Upstream's error path: print the error, or for the CLI run an
	// "argocd-<sub-command>" plugin when the sub-command is unknown.
	handler := cli.NewDefaultPluginHandler([]string{"argocd"})
	if err = handler.HandleCommandExecutionError(err, comp.cli, os.Args); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			os.Exit(exitErr.ExitCode()) // a plugin's own exit code
		}
		os.Exit(1)
	}
}
