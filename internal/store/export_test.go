package store

import "context"

// QueryUnscopedForTest runs query outside any tenant or system scope, as a
// buggy caller would.
func QueryUnscopedForTest(ctx context.Context, db *DB, query string) error {
	return db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, query)
		if err != nil {
			return err
		}
		r.Close()
		return nil
	})
}
