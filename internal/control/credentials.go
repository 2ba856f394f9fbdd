package control

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Credentials are the API's access key pair.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// CredentialsFile is where generated credentials are kept under the data
// directory (mode 0600).
const CredentialsFile = "credentials.json"

// LoadCredentials returns the credentials from PHAROS_ACCESS_KEY_ID and
// PHAROS_SECRET_ACCESS_KEY when both are set; otherwise from the data
// directory, generating and saving a pair on first start. path is where
// they were read from ("" for the environment).
func LoadCredentials(dataDir string) (c Credentials, path string, err error) {
	id, secret := os.Getenv("PHAROS_ACCESS_KEY_ID"), os.Getenv("PHAROS_SECRET_ACCESS_KEY")
	if id != "" && secret != "" {
		return Credentials{AccessKeyID: id, SecretAccessKey: secret}, "", nil
	}
	path = filepath.Join(dataDir, CredentialsFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, path, fmt.Errorf("control: %s is damaged; remove it to generate new credentials", path)
		}
		return c, path, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return c, path, fmt.Errorf("control: read credentials: %w", err)
	}
	c = Credentials{AccessKeyID: "PHK" + randomString(upper, 17), SecretAccessKey: randomString(secretAlphabet, 40)}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return c, path, fmt.Errorf("control: create data directory: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return c, path, fmt.Errorf("control: save credentials: %w", err)
	}
	return c, path, nil
}

const (
	upper          = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(alphabet string, n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic("control: crypto/rand failed: " + err.Error())
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}
