package server

import "testing"

// startSQLNode is startSQLServer for tests that need only the URL.
func startSQLNode(t *testing.T) string {
	t.Helper()
	_, url := startSQLServer(t)
	return url
}
