package zombie

// chunkBits sizes the blocks of a chunked slice: 16,384 elements.
const chunkBits = 14

// chunked is an append-only slice stored in fixed-size blocks: growing it
// never copies what it holds, so a million-element summary is allocated
// once instead of a dozen times on its way up.
type chunked[T any] struct {
	blocks [][]T
	n      int
}

// add appends v and returns its index.
func (c *chunked[T]) add(v T) int {
	b := c.n >> chunkBits
	if b == len(c.blocks) {
		c.blocks = append(c.blocks, make([]T, 0, 1<<chunkBits))
	}
	c.blocks[b] = append(c.blocks[b], v)
	c.n++
	return c.n - 1
}

// at returns a pointer to element i.
func (c *chunked[T]) at(i int) *T { return &c.blocks[i>>chunkBits][i&(1<<chunkBits-1)] }

// len returns the number of elements.
func (c *chunked[T]) len() int { return c.n }
