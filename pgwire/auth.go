package pgwire

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// UserStore looks up the password verifiers of users for SCRAM-SHA-256
// authentication.
type UserStore interface {
	// LookupUser returns the user's verifier; found is false when the user
	// does not exist or has no password (authentication then fails the
	// same way as a wrong password).
	LookupUser(ctx context.Context, user string) (v SCRAMVerifier, found bool, err error)
}

// SCRAMVerifier is what the server keeps of a password (RFC 5802): never
// the password itself.
type SCRAMVerifier struct {
	Salt       []byte
	Iterations int
	StoredKey  [sha256.Size]byte
	ServerKey  [sha256.Size]byte
}

// DefaultSCRAMIterations is PostgreSQL's default scram_iterations.
const DefaultSCRAMIterations = 4096

// NewSCRAMVerifier derives the verifier of password with a fresh random
// salt. The password is used as given (no SASLprep normalisation).
func NewSCRAMVerifier(password string, iterations int) (SCRAMVerifier, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return scramVerifier(password, salt, iterations)
}

func scramVerifier(password string, salt []byte, iterations int) (SCRAMVerifier, error) {
	if iterations < 1 {
		return SCRAMVerifier{}, fmt.Errorf("pgwire: SCRAM iterations %d < 1", iterations)
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return SCRAMVerifier{}, err
	}
	v := SCRAMVerifier{Salt: salt, Iterations: iterations}
	clientKey := hmacSHA256(salted, "Client Key")
	v.StoredKey = sha256.Sum256(clientKey)
	copy(v.ServerKey[:], hmacSHA256(salted, "Server Key"))
	return v, nil
}

// String is PostgreSQL's pg_authid.rolpassword form:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func (v SCRAMVerifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", v.Iterations, b64(v.Salt), b64(v.StoredKey[:]), b64(v.ServerKey[:]))
}

// ParseSCRAMVerifier reads the String form.
func ParseSCRAMVerifier(s string) (SCRAMVerifier, error) {
	bad := fmt.Errorf("pgwire: malformed SCRAM verifier")
	rest, ok := strings.CutPrefix(s, "SCRAM-SHA-256$")
	if !ok {
		return SCRAMVerifier{}, bad
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return SCRAMVerifier{}, bad
	}
	iter, salt, ok1 := strings.Cut(iterSalt, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return SCRAMVerifier{}, bad
	}
	var v SCRAMVerifier
	var err error
	if v.Iterations, err = strconv.Atoi(iter); err != nil || v.Iterations < 1 {
		return SCRAMVerifier{}, bad
	}
	if v.Salt, err = base64.StdEncoding.DecodeString(salt); err != nil {
		return SCRAMVerifier{}, bad
	}
	sk, err1 := base64.StdEncoding.DecodeString(stored)
	vk, err2 := base64.StdEncoding.DecodeString(server)
	if err1 != nil || err2 != nil || len(sk) != sha256.Size || len(vk) != sha256.Size {
		return SCRAMVerifier{}, bad
	}
	copy(v.StoredKey[:], sk)
	copy(v.ServerKey[:], vk)
	return v, nil
}

// StaticUsers is a UserStore over a fixed map of user name to verifier
// (from configuration).
type StaticUsers map[string]SCRAMVerifier

// LookupUser implements UserStore.
func (u StaticUsers) LookupUser(_ context.Context, user string) (SCRAMVerifier, bool, error) {
	v, ok := u[user]
	return v, ok, nil
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

const scramMechanism = "SCRAM-SHA-256"

// authenticate runs trust (no user store) or SCRAM-SHA-256 and sends
// AuthenticationOk on success.
func (c *serverConn) authenticate(user string) error {
	if c.srv.cfg.Users == nil {
		c.be.Send(&pgproto3.AuthenticationOk{})
		return nil
	}
	if err := c.scram(user); err != nil {
		if errors.Is(err, errClientGone) {
			return err
		}
		return c.fatal(err)
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	return nil
}

func authFailed(user string) error {
	return wireErrorf("28P01", "password authentication failed for user %q", user)
}

// scram is the server side of SCRAM-SHA-256 without channel binding.
func (c *serverConn) scram(user string) error {
	v, found, err := c.srv.cfg.Users.LookupUser(c.ctx, user)
	if err != nil {
		return err
	}
	if !found {
		// Go through the exchange with a verifier nobody can match, so an
		// unknown user looks like a wrong password.
		v, _ = scramVerifier(randomNonce(), []byte(randomNonce())[:16], DefaultSCRAMIterations)
	}
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	if err := c.flush(); err != nil {
		return err
	}
	_ = c.be.SetAuthType(pgproto3.AuthTypeSASL)
	msg, err := c.be.Receive()
	if err != nil {
		return c.authReceiveErr(err)
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return protocolViolation("expected SASL response, got %T", msg)
	}
	if first.AuthMechanism != scramMechanism {
		return protocolViolation("client selected an invalid SASL authentication mechanism")
	}
	gs2, clientFirstBare, clientNonce, err := parseClientFirst(string(first.Data))
	if err != nil {
		return err
	}
	nonce := clientNonce + randomNonce()
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(v.Salt), v.Iterations)
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.flush(); err != nil {
		return err
	}
	_ = c.be.SetAuthType(pgproto3.AuthTypeSASLContinue)
	msg, err = c.be.Receive()
	if err != nil {
		return c.authReceiveErr(err)
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return protocolViolation("expected SASL response, got %T", msg)
	}
	withoutProof, proof, err := parseClientFinal(string(final.Data), gs2, nonce)
	if err != nil {
		return err
	}
	authMessage := clientFirstBare + "," + serverFirst + "," + withoutProof
	clientSig := hmacSHA256(v.StoredKey[:], authMessage)
	if len(proof) != len(clientSig) {
		return authFailed(user)
	}
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	stored := sha256.Sum256(clientKey)
	if !found || subtle.ConstantTimeCompare(stored[:], v.StoredKey[:]) != 1 {
		return authFailed(user)
	}
	serverSig := hmacSHA256(v.ServerKey[:], authMessage)
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	_ = c.be.SetAuthType(pgproto3.AuthTypeOk)
	return nil
}

func (c *serverConn) authReceiveErr(err error) error {
	if isNetErr(err) {
		return errClientGone
	}
	return protocolViolation("invalid SASL message: %v", err)
}

func randomNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// parseClientFirst reads client-first-message = gs2-header
// client-first-message-bare, returning the header, the bare part and the
// client nonce.
func parseClientFirst(s string) (gs2, bare, nonce string, err error) {
	bad := protocolViolation("malformed SCRAM message")
	switch {
	case strings.HasPrefix(s, "p="):
		return "", "", "", protocolViolation("channel binding is not supported")
	case strings.HasPrefix(s, "n,"), strings.HasPrefix(s, "y,"):
	default:
		return "", "", "", bad
	}
	// gs2-header: cbind-flag "," [authzid] ","
	i := strings.IndexByte(s[2:], ',')
	if i < 0 {
		return "", "", "", bad
	}
	gs2, bare = s[:2+i+1], s[2+i+1:]
	if strings.HasPrefix(bare, "m=") {
		return "", "", "", protocolViolation("SCRAM extensions are not supported")
	}
	for _, attr := range strings.Split(bare, ",") {
		if v, ok := strings.CutPrefix(attr, "r="); ok {
			nonce = v
		}
	}
	if nonce == "" || !strings.HasPrefix(bare, "n=") {
		return "", "", "", bad
	}
	for _, r := range nonce {
		if r < 0x21 || r > 0x7e || r == ',' {
			return "", "", "", bad
		}
	}
	return gs2, bare, nonce, nil
}

// parseClientFinal reads client-final-message = channel-binding "," nonce
// ["," extensions] ",p=" proof, checking the channel binding echoes the
// gs2 header and the nonce is ours.
func parseClientFinal(s, gs2, nonce string) (withoutProof string, proof []byte, err error) {
	bad := protocolViolation("malformed SCRAM message")
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return "", nil, bad
	}
	withoutProof = s[:i]
	if proof, err = base64.StdEncoding.DecodeString(s[i+3:]); err != nil {
		return "", nil, bad
	}
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 {
		return "", nil, bad
	}
	cb, ok := strings.CutPrefix(attrs[0], "c=")
	if !ok || cb != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return "", nil, protocolViolation("SCRAM channel binding check failed")
	}
	if r, ok := strings.CutPrefix(attrs[1], "r="); !ok || r != nonce {
		return "", nil, protocolViolation("SCRAM nonce mismatch")
	}
	return withoutProof, proof, nil
}
