package governance

import (
	"context"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func secretAAD(tenant valdrix.TenantID, id string) []byte {
	return []byte("valdrix-secret|" + string(tenant) + "|" + id)
}

// PutSecret encrypts plaintext for tenant and stores it under id (a new id
// when empty). It returns the id.
func (s *Service) PutSecret(ctx context.Context, tenant valdrix.TenantID, id, purpose string, plaintext []byte) (string, error) {
	if id == "" {
		id = valdrix.NewID()
	}
	ct, kid := s.keys.Encrypt(plaintext, secretAAD(tenant, id))
	now := s.now().Truncate(time.Microsecond)
	err := s.store.PutSecret(ctx, Secret{ID: id, TenantID: tenant, Purpose: purpose, KeyID: kid, Ciphertext: ct, CreatedAt: now, UpdatedAt: now})
	return id, err
}

// GetSecret decrypts a tenant's secret.
func (s *Service) GetSecret(ctx context.Context, tenant valdrix.TenantID, id string) ([]byte, error) {
	sec, err := s.store.GetSecret(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	pt, err := s.keys.Decrypt(sec.Ciphertext, secretAAD(tenant, id))
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "A stored secret could not be decrypted; check the encryption keys.")
	}
	return pt, nil
}

// DeleteSecret removes a tenant's secret.
func (s *Service) DeleteSecret(ctx context.Context, tenant valdrix.TenantID, id string) error {
	return s.store.DeleteSecret(ctx, tenant, id)
}

// RotationReport tells what RotateKeys did.
type RotationReport struct {
	NewKeyID    string   `json:"new_key_id"`
	Reencrypted int      `json:"reencrypted"`
	RetiredKeys []string `json:"retired_keys"`
}

// RotateKeys adds a new primary key to the keyring and re-encrypts every
// stored secret with it, in one transaction. With retire, keys no longer used
// by any secret are dropped from the ring. The caller persists the ring.
func (s *Service) RotateKeys(ctx context.Context, actor Actor, retire bool) (RotationReport, error) {
	if !actor.isSystem() {
		return RotationReport{}, valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can rotate keys.")
	}
	if err := s.keys.AddNew(s.now()); err != nil {
		return RotationReport{}, err
	}
	rep := RotationReport{NewKeyID: s.keys.Primary()}
	err := s.store.System(ctx, func(ctx context.Context) error {
		secrets, err := s.store.ListAllSecrets(ctx)
		if err != nil {
			return err
		}
		for _, sec := range secrets {
			pt, err := s.keys.Decrypt(sec.Ciphertext, secretAAD(sec.TenantID, sec.ID))
			if err != nil {
				return valdrix.Wrap(valdrix.EINTERNAL, err, "Secret %s of tenant %s cannot be decrypted with the current keys; rotation stopped and nothing changed.", sec.ID, sec.TenantID)
			}
			sec.Ciphertext, sec.KeyID = s.keys.Encrypt(pt, secretAAD(sec.TenantID, sec.ID))
			sec.UpdatedAt = s.now().Truncate(time.Microsecond)
			if err := s.store.PutSecret(ctx, sec); err != nil {
				return err
			}
			rep.Reencrypted++
		}
		if retire {
			before := s.keys.IDs()
			s.keys.Retain(map[string]bool{})
			rep.RetiredKeys = append(rep.RetiredKeys, before[1:]...)
		}
		return s.audit(ctx, SystemTenant, actor.Principal, actor.IP, "keys.rotate", rep.NewKeyID,
			map[string]any{"reencrypted": rep.Reencrypted, "retired": strings.Join(rep.RetiredKeys, ",")})
	})
	return rep, err
}

// Keyring returns the service's keyring (for persisting after rotation).
func (s *Service) Keyring() *keyring.Keyring { return s.keys }
