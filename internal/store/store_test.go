package store_test

import (
	"testing"

	"github.com/valdrix/valdrix/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, open)
		})
	}
}
