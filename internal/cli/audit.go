package cli

import (
	"errors"
	"fmt"
	"strconv"
)

type auditCmd struct {
	Verify auditVerifyCmd `cmd:"" help:"Check every audit chain; exit 1 if an entry was edited, inserted or deleted."`
}

type auditVerifyCmd struct {
	output
}

func (c auditVerifyCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	rep, err := core.Governance.VerifyAudit(rc)
	if err != nil {
		return err
	}
	if c.json() {
		if err := writeJSON(rc.env.Stdout, rep); err != nil {
			return err
		}
	} else if rep.OK() {
		fmt.Fprintf(rc.env.Stdout, "audit log intact: %d chains, %d entries\n", rep.Chains, rep.Events)
	} else {
		rows := make([][]string, len(rep.Problems))
		for i, p := range rep.Problems {
			rows[i] = []string{string(p.TenantID), strconv.FormatInt(p.Seq, 10), p.Problem}
		}
		if err := writeTable(rc.env.Stdout, []string{"TENANT", "SEQ", "PROBLEM"}, rows); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return errors.New("the audit log has been tampered with")
	}
	return nil
}
