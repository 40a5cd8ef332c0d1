package zombie

import "hash/maphash"

// idIndex maps ids (resource ids, billing ids) to the indexes of the
// elements that hold them. It is an open-addressing table of (hash,
// index) pairs: it holds no pointer, so the garbage collector does not scan
// a million entries, and it grows by moving pairs without hashing a key
// again. The ids themselves stay in the elements; key returns the id of an
// element.
type idIndex struct {
	seed  maphash.Seed
	slots []idSlot // a power of two; idx 0 is empty, else element index + 1
	n     int
}

type idSlot struct {
	hash uint32
	idx  int32
}

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed(), slots: make([]idSlot, 1024)} }

// find returns the element holding id.
func (x *idIndex) find(id string, key func(int32) string) (int32, bool) {
	h := maphash.String(x.seed, id)
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.idx == 0 {
			return 0, false
		}
		if s.hash == uint32(h) && key(s.idx-1) == id {
			return s.idx - 1, true
		}
	}
}

// insert records that element idx holds id (which must not be present).
func (x *idIndex) insert(id string, idx int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(maphash.String(x.seed, id), idx)
	x.n++
}

func (x *idIndex) put(h uint64, idx int32) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i].idx != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = idSlot{hash: uint32(h), idx: idx + 1}
}

// grow doubles the table. Slots keep only the low 32 bits of the hash,
// which address tables of up to 2^32 slots.
func (x *idIndex) grow() {
	old := x.slots
	x.slots = make([]idSlot, 2*len(old))
	for _, s := range old {
		if s.idx != 0 {
			x.put(uint64(s.hash), s.idx-1)
		}
	}
}
