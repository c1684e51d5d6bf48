package env

import (
	"testing"

	"github.com/joho/godotenv"
)

// FuzzDotenvProblemAgrees: wherever godotenv refuses a .env, dotenvProblem finds the line too, so
// the error names it (instead of the fallback that names only the file).
func FuzzDotenvProblemAgrees(f *testing.F) {
	for _, s := range []string{"A=\"x\nB=y", "NGROK_AUTHTOKEN x\n", "A-B=c", "export A='x", "A=\"x\" B\n", "# c\nA=b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := godotenv.Unmarshal(s); err != nil {
			if line, _, _ := dotenvProblem(s); line == 0 {
				t.Errorf("godotenv: %v; dotenvProblem found nothing in %q", err, s)
			}
		}
	})
}
