package ingestion

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendTagJSON checks the fast canonical text against canonicalStrings,
// the reference, on the same maps: sorted keys, the last of duplicate keys,
// and a refusal for anything JSON would escape.
func TestAppendTagJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pairs []tagPair
		plain bool
	}{
		{"none", nil, true},
		{"one", []tagPair{{"team", "core"}}, true},
		{"sorted by bytes", []tagPair{{"user_env", "prod"}, {"Team", "a"}, {"app", ""}, {"user:team", "x"}}, true},
		{"last duplicate wins", []tagPair{{"env", "dev"}, {"app", "a"}, {"env", "prod"}, {"env", "qa"}}, true},
		{"punctuation kept", []tagPair{{"k/{}[]:,'", "v <&> ;#=!~"}}, true},
		{"quote", []tagPair{{"k", `say "hi"`}}, false},
		{"backslash", []tagPair{{`a\b`, "v"}}, false},
		{"control", []tagPair{{"k", "a\tb"}}, false},
		{"unicode", []tagPair{{"équipe", "vert"}}, false},
		{"delete", []tagPair{{"k", "\x7f"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := reference(tc.pairs)
			// Whichever way the text is made, it is the reference's.
			require.Equal(t, "prefix"+want, string(appendCanonicalPairs([]byte("prefix"), slices.Clone(tc.pairs))))
			got, ok := appendTagJSON([]byte("prefix"), tc.pairs)
			require.Equal(t, tc.plain, ok)
			if !ok {
				require.Equal(t, "prefix", string(got), "nothing appended when refused")
				return
			}
			require.Equal(t, "prefix"+want, string(got))
		})
	}
	// Random maps over a small alphabet, so that keys repeat and sort
	// on every byte position.
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(4))
		for i := range b {
			b[i] = "aB:_ z~"[rng.IntN(7)]
		}
		return string(b)
	}
	for range 2000 {
		pairs := make([]tagPair, 1+rng.IntN(6))
		for i := range pairs {
			pairs[i] = tagPair{"k" + word(), word()}
		}
		want := reference(pairs)
		got, ok := appendTagJSON(nil, pairs)
		require.True(t, ok)
		require.Equal(t, want, string(got), "pairs %q", pairs)
	}
}

func reference(pairs []tagPair) string {
	m := map[string]string{}
	for _, p := range pairs {
		m[p.k] = p.v
	}
	return canonicalStrings(m)
}
