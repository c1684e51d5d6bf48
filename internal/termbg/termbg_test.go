package termbg

import "testing"

func TestDark(t *testing.T) {
	tests := []struct {
		theme, colorfgbg string
		want             bool
	}{
		{"auto", "", true},
		{"auto", "0;15", false},
		{"auto", "0;7", false},
		{"auto", "15;0", true},
		{"auto", "15;default;0", true},
		{"light", "15;0", false},
		{"dark", "0;15", true},
	}
	for _, tt := range tests {
		if got := Dark(tt.theme, tt.colorfgbg); got != tt.want {
			t.Errorf("Dark(%q, %q) = %v, want %v", tt.theme, tt.colorfgbg, got, tt.want)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		theme, colorfgbg string
		want             Background
	}{
		{"auto", "", Unknown},
		{"auto", "garbage", Unknown},
		{"auto", "0;default", Unknown},
		{"auto", "0;15", LightBackground},
		{"auto", "15;0", DarkBackground},
		{"auto", "15;default;0", DarkBackground},
		{"light", "", LightBackground},
		{"dark", "0;15", DarkBackground},
	}
	for _, tt := range tests {
		if got := Detect(tt.theme, tt.colorfgbg); got != tt.want {
			t.Errorf("Detect(%q, %q) = %v, want %v", tt.theme, tt.colorfgbg, got, tt.want)
		}
	}
}
