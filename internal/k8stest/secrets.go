package k8stest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// Users in the token file. Only "admin" has rights of its own (the group
// system:masters); "podroutes" gets its rights from examples/rbac.yaml and
// "nobody" never gets any.
const (
	AdminUser     = "admin"
	PodroutesUser = "podroutes"
	NobodyUser    = "nobody"
)

// Tokens are the bearer tokens the API server accepts, fresh for each
// control plane.
type Tokens struct {
	Admin, Podroutes, Nobody string
}

func newTokens() (Tokens, error) {
	var t Tokens
	for _, p := range []*string{&t.Admin, &t.Podroutes, &t.Nobody} {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return t, fmt.Errorf("making a token: %w", err)
		}
		*p = hex.EncodeToString(b)
	}
	return t, nil
}

// writeTokenFile writes the --token-auth-file: token,user,uid[,"groups"].
func (t Tokens) writeTokenFile(path string) error {
	csv := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n%s,%s,%s\n",
		t.Admin, AdminUser, AdminUser, t.Podroutes, PodroutesUser, PodroutesUser, t.Nobody, NobodyUser, NobodyUser)
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		return fmt.Errorf("writing the token file: %w", err)
	}
	return nil
}

// writeServiceAccountKeys writes the key pair the API server signs and
// checks service-account tokens with (it refuses to start without one):
// sa.key (PKCS#1 private key) and sa.pub (PKIX public key) in dir.
func writeServiceAccountKeys(dir string) (key, pub string, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("generating the service-account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("encoding the service-account public key: %w", err)
	}
	key, pub = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{
		{key, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)},
		{pub, "PUBLIC KEY", pubDER},
	} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			return "", "", fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	return key, pub, nil
}
