package cli

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/keyring"
)

type keysCmd struct {
	Rotate keysRotateCmd `cmd:"" help:"Add a new primary encryption key and re-encrypt every stored secret with it."`
}

type keysRotateCmd struct {
	Retire bool `name:"retire" help:"Drop the old keys from the keyring afterwards."`
	output
}

func (c keysRotateCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	rep, err := core.Governance.RotateKeys(rc, governance.SystemActor("cli"), c.Retire)
	if err != nil {
		return err
	}
	if core.KeysFromFile {
		if err := keyring.WriteFile(core.Config.KeyFile(), core.Keyring); err != nil {
			return fmt.Errorf("secrets were re-encrypted with key %s but the key file could not be written; set VALDRIX_ENCRYPTION_KEYS to the new keyring before restarting: %w", rep.NewKeyID, err)
		}
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, rep)
	}
	fmt.Fprintf(rc.env.Stdout, "new primary key %s; %d secrets re-encrypted\n", rep.NewKeyID, rep.Reencrypted)
	if len(rep.RetiredKeys) > 0 {
		fmt.Fprintf(rc.env.Stdout, "retired keys: %v\n", rep.RetiredKeys)
	}
	if core.KeysFromFile {
		fmt.Fprintf(rc.env.Stdout, "key file updated: %s\n", core.Config.KeyFile())
	} else {
		fmt.Fprintln(rc.env.Stderr, "The keyring comes from VALDRIX_ENCRYPTION_KEYS: set it to the value below on every node before restarting (shown once).")
		fmt.Fprintf(rc.env.Stdout, "VALDRIX_ENCRYPTION_KEYS=%s\n", core.Keyring.Encode())
	}
	return nil
}
