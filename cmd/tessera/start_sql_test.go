package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/pgwire"
)

func TestStartSQLFlags(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	v, err := pgwire.NewSCRAMVerifier("pw2", 16)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(users, []byte("# users\nalice:pw1\n\nbob:"+v.String()+"\n"), 0o600))
	base := func() startFlags { return startFlags{store: "d", listen: "127.0.0.1:6433", insecure: "false"} }

	ok := []struct {
		f    func(*startFlags)
		addr string
	}{
		{func(f *startFlags) { f.sqlAddr, f.insecure = "127.0.0.1", "true" }, "127.0.0.1:5433"},
		{func(f *startFlags) { f.sqlAddr, f.insecure = "localhost:6000", "true" }, "localhost:6000"},
		{func(f *startFlags) { f.sqlAddr, f.insecure = "[::1]:5434", "true" }, "[::1]:5434"},
		{func(f *startFlags) { f.sqlAddr, f.insecure = "0.0.0.0:5433", "force" }, "0.0.0.0:5433"},
		{func(f *startFlags) { f.sqlAddr, f.sqlUsers = "0.0.0.0:5433", users }, "0.0.0.0:5433"},
		{func(f *startFlags) { f.sqlAddr = "" }, ""},
		{func(f *startFlags) { f.sqlAddr, f.insecure = "127.0.0.1:0", "true" }, "127.0.0.1:0"},
	}
	for i, c := range ok {
		f := base()
		c.f(&f)
		cfg, err := f.validate()
		require.NoError(t, err, i)
		require.Equal(t, c.addr, cfg.sqlAddr, i)
		if f.sqlUsers != "" {
			su := cfg.sql.users.(pgwire.StaticUsers)
			require.Len(t, su, 2)
			require.Equal(t, v, su["bob"])
		}
	}
	bad := []func(*startFlags){
		func(f *startFlags) { f.sqlAddr = "127.0.0.1:5433" }, // no auth chosen
		func(f *startFlags) { f.sqlAddr, f.insecure = "0.0.0.0:5433", "true" },
		func(f *startFlags) { f.sqlAddr, f.insecure = "10.1.2.3:5433", "true" },
		func(f *startFlags) { f.sqlAddr, f.insecure, f.sqlUsers = "127.0.0.1:5433", "true", users },
		func(f *startFlags) { f.sqlAddr, f.sqlUsers, f.certFile = "127.0.0.1:5433", users, "c.pem" },
		func(f *startFlags) { f.sqlAddr, f.insecure = "127.0.0.1:99999", "true" },
	}
	for i, b := range bad {
		f := base()
		b(&f)
		_, err := f.validate()
		require.Error(t, err, i)
	}
	var fl insecureFlag
	require.NoError(t, fl.Set("force"))
	require.Equal(t, insecureFlag("force"), fl)
	require.Error(t, fl.Set("maybe"))
}

func TestStartSQLTLSFiles(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	users := filepath.Join(dir, "users")
	require.NoError(t, os.WriteFile(users, []byte("root:pw\n"), 0o600))

	f := startFlags{store: "d", listen: "127.0.0.1:6433", insecure: "false", sqlAddr: "0.0.0.0:5433",
		sqlUsers: users, certFile: certFile, keyFile: keyFile}
	cfg, err := f.validate()
	require.NoError(t, err)
	require.NotNil(t, cfg.sql.tls)
	require.Len(t, cfg.sql.tls.Certificates, 1)

	f.keyFile = users // not a key
	_, err = f.validate()
	require.Error(t, err)
	for _, bad := range []string{"alice", ":pw", "bob:SCRAM-SHA-256$bad"} {
		require.NoError(t, os.WriteFile(users, []byte(bad+"\n"), 0o600))
		_, err := readUsersFile(users)
		require.Error(t, err, bad)
	}
	require.NoError(t, os.WriteFile(users, []byte("# nobody\n"), 0o600))
	_, err = readUsersFile(users)
	require.Error(t, err)
}
