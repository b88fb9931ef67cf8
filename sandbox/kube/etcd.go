package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

// runEtcd runs the stock etcd server: flags, signal handling and clean
// shutdown are all etcdmain's, so "etcd --help" documents this entry point.
func runEtcd() int {
	etcdmain.Main(os.Args)
	return 0
}
