package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestThousands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"0.00", "0.00"},
		{"999.99", "999.99"},
		{"5118.07", "5,118.07"},
		{"1234567.5", "1,234,567.5"},
		{"-1234.00", "-1,234.00"},
		{"100000", "100,000"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, thousands(tc.in))
		})
	}
}

func TestProviderNames(t *testing.T) {
	t.Parallel()
	require.Equal(t, "AWS, Azure, GCP", providerNames([]string{"aws", "azure", "gcp"}))
	require.Equal(t, "GCP, oci", providerNames([]string{"gcp", "oci"}), "an unknown provider is printed as it is")
}
