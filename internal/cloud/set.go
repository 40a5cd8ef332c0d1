package cloud

import "github.com/valdrix/valdrix/internal/valdrix"

// Adapter is one provider's capabilities; a nil field is a capability the
// adapter does not have.
type Adapter struct {
	Inventory Inventory
	Tester    Tester
	Costs     CostSource
	Metrics   Metrics
}

// Set holds the adapters the process was built with, by provider. It is
// assembled once, in internal/app.
type Set map[valdrix.Provider]Adapter
