package main

import "errors"

var (
	// errUsage marks bad command-line input (exit status 2).
	errUsage = errors.New("usage")
	// errKeyNotFound is returned by `kv get` for a key without a value.
	errKeyNotFound = errors.New("key not found")
	// errAlreadyInitialized is returned by `init` on an initialized
	// cluster (exit status 3).
	errAlreadyInitialized = errors.New("cluster already initialized")
)
