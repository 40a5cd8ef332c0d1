package api

import "github.com/valdrix/valdrix/internal/governance"

// PageParams are the paging query parameters of list operations.
type PageParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Items per page"`
	Cursor string `query:"cursor" maxLength:"100" doc:"next_cursor from the previous page"`
}

func (p PageParams) page() governance.Page { return governance.Page{Limit: p.Limit, Cursor: p.Cursor} }

// List is one page of items.
type List[T any] struct {
	Items      []T    `json:"items" nullable:"false"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

type listOutput[T any] struct {
	Body List[T]
}

func listOf[T any](items []T, next string) *listOutput[T] {
	if items == nil {
		items = []T{}
	}
	return &listOutput[T]{Body: List[T]{Items: items, NextCursor: next}}
}
