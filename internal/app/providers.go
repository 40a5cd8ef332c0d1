package app

import (
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/inventory"
)

// providers builds the cloud adapters this process has, from the settings:
// one file per cloud (providers_<cloud>.go). A cloud whose platform
// settings are missing has no adapter; its connections say so when used.
func (c *Core) providers() (cloud.Set, inventory.OnboardingFunc, error) {
	set := cloud.Set{}
	onboarding, err := c.addAWS(set)
	if err != nil {
		return nil, nil, err
	}
	if err := c.addAzure(set); err != nil {
		return nil, nil, err
	}
	if err := c.addGCP(set); err != nil {
		return nil, nil, err
	}
	return set, onboarding, nil
}
