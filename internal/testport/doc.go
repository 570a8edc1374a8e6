// Package testport opens loopback listeners for test clusters. By default
// the kernel picks a free port; with TESSERA_TEST_PORTS=LO-HI (e.g.
// 44000-44999) the port comes from that range, so that sessions sharing
// a machine can keep their test clusters in disjoint port ranges.
//
//	Listen() (net.Listener, error)  127.0.0.1:<port>
package testport
