package store

import (
	"context"
	"database/sql"

	"github.com/valdrix/valdrix/internal/governance"
)

const userCols = "id, email, name, password_hash, created_at, disabled_at"

func scanUser(r interface{ Scan(...any) error }) (governance.User, error) {
	var u governance.User
	var pw sql.NullString
	err := r.Scan(&u.ID, &u.Email, &u.Name, &pw, &u.CreatedAt, &u.DisabledAt)
	u.PasswordHash = pw.String
	return u, err
}

// CreateUser inserts a user (users are global).
func (db *DB) CreateUser(ctx context.Context, u governance.User) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		var pw any
		if u.PasswordHash != "" {
			pw = u.PasswordHash
		}
		_, err := s.exec(ctx, "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
			u.ID, u.Email, u.Name, pw, u.CreatedAt)
		return db.translate(err, "A user with this email")
	})
}

func (db *DB) getUser(ctx context.Context, where string, arg any) (governance.User, error) {
	var u governance.User
	err := db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT "+userCols+" FROM users WHERE "+where, arg)
		if err != nil {
			return db.translate(err, "User")
		}
		defer r.Close()
		if !r.Next() {
			if err := r.Err(); err != nil {
				return err
			}
			return db.translate(sql.ErrNoRows, "User")
		}
		u, err = scanUser(r)
		return err
	})
	return u, err
}

// GetUser returns a user by id.
func (db *DB) GetUser(ctx context.Context, id string) (governance.User, error) {
	return db.getUser(ctx, "id = $1", id)
}

// GetUserByEmail returns a user by (lower-case) email.
func (db *DB) GetUserByEmail(ctx context.Context, email string) (governance.User, error) {
	return db.getUser(ctx, "email = $1", email)
}

// SetUserPassword sets a user's password hash.
func (db *DB) SetUserPassword(ctx context.Context, id, hash string) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "UPDATE users SET password_hash = $1 WHERE id = $2", hash, id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "User")
	})
}

// ListUsers lists users, newest first.
func (db *DB) ListUsers(ctx context.Context, page governance.Page) ([]governance.User, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []governance.User
	err := db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT " + userCols + " FROM users WHERE 1 = 1")
		b.pageDesc("id", page)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Users")
		}
		defer r.Close()
		for r.Next() {
			u, err := scanUser(r)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(u governance.User) string { return u.ID })
	return out, next, nil
}
