package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"

	// Blank imports the upstream main packages carry; without them the
	// binaries silently lose features.
	_ "k8s.io/client-go/plugin/pkg/client/auth"           // kubectl exec/oidc auth providers
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // kubernetes_build_info metric
	_ "time/tzdata"                                       // CronJob .spec.timeZone without system tzdata
)

// The control-plane components all follow the same upstream pattern:
// build the cobra command, hand it to component-base's cli.Run, which sets
// up logging/flags and returns the process exit code.

func runAPIServer() int         { return cli.Run(apiserver.NewAPIServerCommand()) }
func runControllerManager() int { return cli.Run(controllermanager.NewControllerManagerCommand()) }
func runScheduler() int         { return cli.Run(scheduler.NewSchedulerCommand()) }

func runKubectl() int {
	freshGlobalFlags()
	// kubectl reads -v itself before cobra parses anything so that klog is
	// configured during command construction (same as cmd/kubectl).
	_, _ = logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args))
	if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
		kubectlutil.CheckErr(err) // prints kubectl-style error and exits
	}
	return 0
}
