package cloudsim

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var accountPurposes = []string{"prod", "staging", "dev", "data", "shared-services", "security", "sandbox", "ml", "analytics", "edge"}

func (e *Estate) makeAccounts(r *rand.Rand) {
	co := e.Config.Company
	e.AWSOrgID = "o-" + strings.ToLower(hexID(r, 10))
	payer := digits(r, 12)
	e.AWSPayerAccount = payer
	e.Accounts = append(e.Accounts, Account{Provider: valdrix.AWS, ID: payer, Name: co + "-management", Payer: true})
	for i := 1; i < e.Config.AWSAccounts; i++ {
		e.Accounts = append(e.Accounts, Account{Provider: valdrix.AWS, ID: digits(r, 12), Name: co + "-" + purpose(i-1)})
	}
	e.AzureTenantID = guid(r)
	e.AzureBillingAccount = digits(r, 8)
	for i := range e.Config.AzureSubscriptions {
		title := strings.ToUpper(co[:1]) + co[1:]
		e.Accounts = append(e.Accounts, Account{Provider: valdrix.Azure, ID: guid(r), Name: fmt.Sprintf("%s %s", title, strings.ToUpper(purpose(i)[:1])+purpose(i)[1:])})
	}
	e.GCPBillingAccount = strings.ToUpper(hexID(r, 6) + "-" + hexID(r, 6) + "-" + hexID(r, 6))
	for i := range e.Config.GCPProjects {
		id := fmt.Sprintf("%s-%s-%s", co, purpose(i), digits(r, 4))
		e.Accounts = append(e.Accounts, Account{Provider: valdrix.GCP, ID: id, Name: id, Number: digits(r, 12)})
	}
}

func purpose(i int) string {
	p := accountPurposes[i%len(accountPurposes)]
	if i >= len(accountPurposes) {
		p = fmt.Sprintf("%s-%d", p, i/len(accountPurposes)+1)
	}
	return p
}

// envOf returns the environment implied by an account name.
func envOf(name string) string {
	for _, env := range []string{"prod", "staging", "dev", "sandbox"} {
		if strings.Contains(name, env) || strings.Contains(strings.ToLower(name), env) {
			if env == "sandbox" {
				return "dev"
			}
			return env
		}
	}
	return "prod"
}
