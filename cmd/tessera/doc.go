// Package main is command tessera, the single Tessera binary: it starts nodes, bootstraps
// clusters, and carries the operator and debugging commands.
//
// Each subcommand lives in its own file and registers itself on rootCmd in
// an init function, so that work on one command never touches another's
// file.
//
// Exit status: 0 on success, 2 for bad command-line input (unknown command
// or flag, malformed argument), 3 when `init` finds the cluster already
// initialized, 1 for any other error. The error is printed to stderr.
package main
