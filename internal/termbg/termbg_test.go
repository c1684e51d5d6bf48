package termbg

import "testing"

// Detect reads --theme first, then COLORFGBG's last field; Dark is every background but a light one.
func TestDetectAndDark(t *testing.T) {
	for _, tt := range []struct {
		theme, colorfgbg string
		want             Background
	}{
		{"auto", "", Unknown},
		{"auto", "garbage", Unknown},
		{"auto", "0;default", Unknown},
		{"auto", "0;15", LightBackground},
		{"auto", "0;7", LightBackground},
		{"auto", "15;0", DarkBackground},
		{"auto", "15;default;0", DarkBackground},
		{"light", "", LightBackground},
		{"light", "15;0", LightBackground},
		{"dark", "0;15", DarkBackground},
	} {
		if got := Detect(tt.theme, tt.colorfgbg); got != tt.want {
			t.Errorf("Detect(%q, %q) = %v, want %v", tt.theme, tt.colorfgbg, got, tt.want)
		}
		if got, want := Dark(tt.theme, tt.colorfgbg), tt.want != LightBackground; got != want {
			t.Errorf("Dark(%q, %q) = %v, want %v", tt.theme, tt.colorfgbg, got, want)
		}
	}
}
