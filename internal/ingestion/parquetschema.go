package ingestion

import (
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// pqLeaf is one leaf column of a Parquet schema, read from the file's own
// schema elements (not a library's interpretation of them), so that every
// annotation writers use is seen: logical types and the older converted
// types, decimal scale, levels.
type pqLeaf struct {
	index   int // leaf (column chunk) index
	path    []string
	typ     format.Type
	typeLen int
	maxDef  byte
	maxRep  byte
	scale   int32 // decimal scale; -1 when the column is not a decimal
	perDay  int64 // timestamps: units per day; 0 otherwise
	date    bool  // DATE (days since the epoch)
	// entryDef is, for a map's key and value leaves, the definition level
	// at which a map entry exists (the key's: a value may be null).
	entryDef byte
}

// pqField is one top-level field: a flat leaf or a map<string,string>.
type pqField struct {
	name       string
	leaf       int // flat fields: the leaf; -1 for groups
	isMap      bool
	key, value int // maps: the key and value leaves
	nested     bool
}

// pqSchema is the flattened schema of a Parquet file.
type pqSchema struct {
	leaves []pqLeaf
	fields []pqField
}

// parseSchema flattens the depth-first schema element list of a file.
func parseSchema(els []format.SchemaElement) (*pqSchema, error) {
	if len(els) == 0 {
		return nil, errorf("the schema is empty")
	}
	s := &pqSchema{}
	pos := 1
	var walk func(path []string, def, rep byte, top int) error
	walk = func(path []string, def, rep byte, top int) error {
		if pos >= len(els) {
			return errorf("the schema is truncated")
		}
		e := &els[pos]
		pos++
		switch e.RepetitionType.V {
		case format.Optional:
			def++
		case format.Repeated:
			def++
			rep++
		}
		p := append(append([]string(nil), path...), e.Name)
		// A group is an element without a physical type, whatever its
		// number of children (an empty struct has none, and no column).
		group := !e.Type.Valid
		if top < 0 {
			s.fields = append(s.fields, pqField{name: e.Name, leaf: -1, key: -1, value: -1})
			top = len(s.fields) - 1
			f := &s.fields[top]
			// A group, or a repeated value (a list): not one value per row.
			f.nested = group || rep > 0
			f.isMap = group && isMapElement(e)
		}
		if group {
			n := int32(0)
			if e.NumChildren.Valid {
				n = e.NumChildren.V
			}
			if n < 0 || n > 1<<20 {
				return errorf("the schema is corrupt")
			}
			for range n {
				if err := walk(p, def, rep, top); err != nil {
					return err
				}
			}
			return nil
		}
		l := pqLeaf{index: len(s.leaves), path: p, typ: e.Type.V, maxDef: def, maxRep: rep, scale: -1}
		if e.TypeLength.Valid {
			l.typeLen = int(e.TypeLength.V)
		}
		annotate(&l, e)
		s.leaves = append(s.leaves, l)
		f := &s.fields[top]
		switch {
		case len(p) == 1:
			f.leaf = l.index
		case f.isMap && len(p) == 3 && p[2] == "key":
			f.key = l.index
		case f.isMap && len(p) == 3 && p[2] == "value":
			f.value = l.index
		}
		return nil
	}
	n := 0
	if els[0].NumChildren.Valid {
		n = int(els[0].NumChildren.V)
	}
	for range n {
		if err := walk(nil, 0, 0, -1); err != nil {
			return nil, err
		}
	}
	for i := range s.fields {
		f := &s.fields[i]
		if f.isMap && (f.key < 0 || f.value < 0) {
			f.isMap = false
		}
		if f.isMap {
			def := s.leaves[f.key].maxDef
			s.leaves[f.key].entryDef, s.leaves[f.value].entryDef = def, def
		}
	}
	return s, nil
}

func isMapElement(e *format.SchemaElement) bool {
	if _, ok := e.LogicalType.Value.(*format.MapType); ok {
		return true
	}
	return e.ConvertedType.Valid && (e.ConvertedType.V == deprecated.Map || e.ConvertedType.V == deprecated.MapKeyValue)
}

// annotate reads the logical (or converted) type of a leaf.
func annotate(l *pqLeaf, e *format.SchemaElement) {
	switch lt := e.LogicalType.Value.(type) {
	case *format.DecimalType:
		l.scale = lt.Scale
		return
	case *format.DateType:
		l.date = true
		return
	case *format.TimestampType:
		switch lt.Unit.Value.(type) {
		case *format.MilliSeconds:
			l.perDay = 86_400_000
		case *format.MicroSeconds:
			l.perDay = 86_400_000_000
		case *format.NanoSeconds:
			l.perDay = 86_400_000_000_000
		}
		return
	}
	if !e.ConvertedType.Valid {
		return
	}
	switch e.ConvertedType.V {
	case deprecated.Decimal:
		l.scale = 0
		if e.Scale.Valid {
			l.scale = e.Scale.V
		}
	case deprecated.Date:
		l.date = true
	case deprecated.TimestampMillis:
		l.perDay = 86_400_000
	case deprecated.TimestampMicros:
		l.perDay = 86_400_000_000
	}
}
