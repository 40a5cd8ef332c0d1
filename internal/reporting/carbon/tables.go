package carbon

import (
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// dataFS holds the coefficient tables. data/README.md names the source of
// every file.
//
//go:embed data/*.csv data/*.json
var dataFS embed.FS

// loadTables parses the embedded tables once, on first use.
var loadTables = sync.OnceValues(parseTables)

// tables is every coefficient table, parsed. It is read-only after parsing.
type tables struct {
	providers map[valdrix.Provider]*providerTables
	// awsBurstable maps an instance type to its baseline CPU utilisation (%).
	awsBurstable map[string]float64
	// azureRegions maps a lower-cased Azure location as billed ("east us",
	// "eastus", "bl") to its region id ("eastus").
	azureRegions map[string]string
	// azureSizes maps kind ("disk", "cache", "registry") and lower-cased name
	// to a size.
	azureSizes map[string]map[string]sizedUnit
	// awsFamilyArchs is CCF's AWS processor mapping by family or exact type.
	awsFamilyArchs map[string][]string
}

// providerTables holds one provider's tables.
type providerTables struct {
	constants cloudConstants
	grid      map[string]gridFactor // lower-cased region → factor
	gridCFE   map[string]gridFactor // GCP carbon-free-energy adjusted factors
	sources   []gridSourceRule
	instances map[string]*instance // lower-cased instance / VM / machine type
	// gpus maps a GPU model as the tables or SKUs name it to a CCF processor.
	gpus map[string]string
	// families maps a GCP machine family prefix ("n2d") to its architectures.
	families map[string][]string
	// rules classify usage types, meters and SKUs (usage-types.csv).
	rules []usageRule
}

// usageRule is one row of usage-types.csv.
type usageRule struct {
	class   string
	match   string // suffix, contains, icontains, exact
	pattern string
	note    string
}

// matches reports whether s matches the rule.
func (r usageRule) matches(s string) bool {
	switch r.match {
	case "suffix":
		return strings.HasSuffix(s, r.pattern)
	case "contains":
		return strings.Contains(s, r.pattern)
	case "icontains":
		return strings.Contains(strings.ToLower(s), strings.ToLower(r.pattern))
	case "exact":
		return s == r.pattern
	}
	return false
}

// rule returns the first rule of the class that s matches.
func (pt *providerTables) rule(class, s string) (usageRule, bool) {
	for _, r := range pt.rules {
		if r.class == class && r.matches(s) {
			return r, true
		}
	}
	return usageRule{}, false
}

// cloudConstants is ccf_cloud_constants_<provider>.json.
type cloudConstants struct {
	AvgCPUUtilization  float64            `json:"AVG_CPU_UTILIZATION_2020"`
	HDDCoefficient     float64            `json:"HDDCOEFFICIENT"`
	SSDCoefficient     float64            `json:"SSDCOEFFICIENT"`
	MaxWattsAvg        float64            `json:"MAX_WATTS_AVG"`
	MaxWattsMedian     float64            `json:"MAX_WATTS_MEDIAN"`
	MinWattsAvg        float64            `json:"MIN_WATTS_AVG"`
	MinWattsMedian     float64            `json:"MIN_WATTS_MEDIAN"`
	MaxWatts           map[string]float64 `json:"MAX_WATTS_BY_COMPUTE_PROCESSOR"`
	MinWatts           map[string]float64 `json:"MIN_WATTS_BY_COMPUTE_PROCESSOR"`
	MemoryAvg          float64            `json:"MEMORY_AVG"`
	MemoryByProcessor  map[string]float64 `json:"MEMORY_BY_COMPUTE_PROCESSOR"`
	MemoryCoefficient  float64            `json:"MEMORY_COEFFICIENT"`
	NetworkCoefficient float64            `json:"NETWORKING_COEFFICIENT"`
	PUEAvg             float64            `json:"PUE_AVG"`
	PUETrailing        map[string]float64 `json:"PUE_TRAILING_TWELVE_MONTH"`
	ReplicationFactors map[string]float64 `json:"REPLICATION_FACTORS"`
	LifespanHours      float64            `json:"SERVER_EXPECTED_LIFESPAN"`
}

// gridFactor is one row of ccf_emissions_factors_<provider>.csv.
type gridFactor struct {
	region  string  // as spelled in the table
	tPerKWh float64 // metric tonnes CO2e per kWh
	nerc    string  // US NERC region, when the factor is an eGRID average
}

// gridSourceRule is one row of grid-sources.csv.
type gridSourceRule struct {
	provider valdrix.Provider
	region   string // exact, or a prefix when prefix is true; "" matches all
	prefix   bool
	source   string
}

// instance is one instance / VM / machine type with what the method needs.
type instance struct {
	name             string
	series           string // Azure series, GCP machine family
	vcpus            float64
	platformVCPUs    float64 // vCPUs of the largest type on the platform
	memoryGB         float64
	platformMemoryGB float64
	archs            []string // CCF processors; empty when unknown
	archSource       string
	gpus             float64
	gpu              string  // CCF GPU processor, "" when none or unknown
	embodiedKg       float64 // total manufacturing kgCO2e of the server; 0 when unknown
}

// sizedUnit is a fixed-size billing unit (a managed disk tier, a cache size).
type sizedUnit struct {
	gb    float64
	media string // SSD or HDD; "" for caches
}

func parseTables() (*tables, error) {
	t := &tables{providers: map[valdrix.Provider]*providerTables{}}
	for _, p := range valdrix.Providers {
		pt := &providerTables{gpus: map[string]string{}}
		if err := readJSON("data/ccf_cloud_constants_"+string(p)+".json", &pt.constants); err != nil {
			return nil, err
		}
		var err error
		if pt.grid, err = readGrid("data/ccf_emissions_factors_" + string(p) + ".csv"); err != nil {
			return nil, err
		}
		t.providers[p] = pt
	}
	var err error
	if t.providers[valdrix.GCP].gridCFE, err = readGrid("data/ccf_emissions_factors_gcp_cfe_adjusted.csv"); err != nil {
		return nil, err
	}
	if t.awsBurstable, err = readFloatMap("data/aws-burstable-baseline.csv", "instance_type", "baseline_percent"); err != nil {
		return nil, err
	}
	// The order matters: instances need the GPU models.
	for _, read := range []func() error{
		t.readGridSources, t.readGPUs, t.readAWSInstances, t.readAzureInstances, t.readGCPInstances,
		t.readAzureRegions, t.readAzureSizes, t.readUsageRules,
	} {
		if err := read(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func readJSON(name string, v any) error {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}

// table is a parsed CSV file with its header.
type table struct {
	name string
	cols map[string]int
	rows []csvRow
}

type csvRow struct {
	line   int
	fields []string
}

func readCSV(name string, required ...string) (*table, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	t := &table{name: name, cols: map[string]int{}}
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s header: %w", name, err)
	}
	for i, h := range header {
		t.cols[strings.TrimSpace(h)] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, fmt.Errorf("%s: missing column %q", name, c)
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		t.rows = append(t.rows, csvRow{line: line, fields: rec})
	}
	return t, nil
}

// get returns the trimmed value of column col in row r ("" when the row is short).
func (t *table) get(r csvRow, col string) string {
	i := t.cols[col]
	if i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// float parses column col of row r. Empty and "N/A" read as 0 when optional.
func (t *table) float(r csvRow, col string, optional bool) (float64, error) {
	s := t.get(r, col)
	if optional && (s == "" || s == "N/A") {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil {
		return 0, fmt.Errorf("%s line %d column %q: %q is not a number", t.name, r.line, col, s)
	}
	return v, nil
}

func readFloatMap(name, keyCol, valCol string) (map[string]float64, error) {
	t, err := readCSV(name, keyCol, valCol)
	if err != nil {
		return nil, err
	}
	m := make(map[string]float64, len(t.rows))
	for _, r := range t.rows {
		v, err := t.float(r, valCol, false)
		if err != nil {
			return nil, err
		}
		m[strings.ToLower(t.get(r, keyCol))] = v
	}
	return m, nil
}

func readGrid(name string) (map[string]gridFactor, error) {
	t, err := readCSV(name, "region", "mtco2e_per_kwh", "us_nerc_region")
	if err != nil {
		return nil, err
	}
	m := make(map[string]gridFactor, len(t.rows))
	for _, r := range t.rows {
		v, err := t.float(r, "mtco2e_per_kwh", false)
		if err != nil {
			return nil, err
		}
		region := t.get(r, "region")
		m[strings.ToLower(region)] = gridFactor{region: region, tPerKWh: v, nerc: t.get(r, "us_nerc_region")}
	}
	if _, ok := m[regionUnknown]; !ok {
		return nil, fmt.Errorf("%s: no Unknown (fallback) row", name)
	}
	return m, nil
}

func (t *tables) readGridSources() error {
	return eachProviderRow("data/grid-sources.csv", []string{"region", "source"}, func(tb *table, r csvRow, p valdrix.Provider) error {
		region := strings.ToLower(tb.get(r, "region"))
		rule := gridSourceRule{provider: p, region: region, source: tb.get(r, "source")}
		if strings.HasSuffix(region, "*") {
			rule.region, rule.prefix = strings.TrimSuffix(region, "*"), true
		}
		t.providers[p].sources = append(t.providers[p].sources, rule)
		return nil
	})
}

// eachProviderRow calls fn for every row of a table whose "provider" column
// names a provider.
func eachProviderRow(name string, cols []string, fn func(tb *table, r csvRow, p valdrix.Provider) error) error {
	tb, err := readCSV(name, append([]string{"provider"}, cols...)...)
	if err != nil {
		return err
	}
	for _, r := range tb.rows {
		p, err := valdrix.ParseProvider("provider", tb.get(r, "provider"))
		if err != nil {
			return fmt.Errorf("%s line %d: %w", tb.name, r.line, err)
		}
		if err := fn(tb, r, p); err != nil {
			return err
		}
	}
	return nil
}

func (t *tables) readGPUs() error {
	return eachProviderRow("data/gpus.csv", []string{"match", "processor"}, func(tb *table, r csvRow, p valdrix.Provider) error {
		proc := tb.get(r, "processor")
		if _, ok := t.providers[p].constants.MaxWatts[proc]; !ok {
			return fmt.Errorf("%s line %d: processor %q has no watts for %s", tb.name, r.line, proc, p)
		}
		t.providers[p].gpus[strings.ToLower(tb.get(r, "match"))] = proc
		return nil
	})
}

// awsFamily returns the instance family of an AWS instance type: "m5" for
// "m5.xlarge", "db.m5.xlarge" and "m5.xlarge.elasticsearch".
func awsFamily(instanceType string) string {
	fam, _, _ := strings.Cut(awsBareType(instanceType), ".")
	return fam
}

// awsBareType lower-cases an AWS instance type and strips the service prefix
// that CUR usage types and aws-instances.csv put before it: "db.m5.xlarge" →
// "m5.xlarge".
func awsBareType(instanceType string) string {
	s := strings.ToLower(instanceType)
	for _, p := range [...]string{"db.", "cache.", "dax.", "dms.", "ml.", "mq.", "kafka.", "kernelgateway-ml."} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func (t *tables) readAWSInstances() error {
	fam, err := readCSV("data/aws-family-architectures.csv", "key", "architectures")
	if err != nil {
		return err
	}
	familyArchs := map[string][]string{}
	for _, r := range fam.rows {
		var archs []string
		if s := fam.get(r, "architectures"); s != "" {
			archs = strings.Split(s, ";")
		}
		familyArchs[strings.ToLower(fam.get(r, "key"))] = archs
	}
	t.awsFamilyArchs = familyArchs
	cpus, err := readCSV("data/aws-cpu-architectures.csv", "cpu", "architecture")
	if err != nil {
		return err
	}
	cpuArch := map[string]string{}
	for _, r := range cpus.rows {
		cpuArch[cpus.get(r, "cpu")] = cpus.get(r, "architecture")
	}
	embodied, err := readEmbodied("data/coefficients-aws-embodied.csv", "type", "total")
	if err != nil {
		return err
	}
	tb, err := readCSV("data/aws-instances.csv", "Instance type", "Instance vCPU", "Platform Total Number of vCPU",
		"Platform CPU Name", "Instance Memory (in GB)", "Platform Memory (in GB)", "Platform GPU Name", "Instance Number of GPU")
	if err != nil {
		return err
	}
	aws := t.providers[valdrix.AWS]
	aws.instances = make(map[string]*instance, len(tb.rows))
	for _, r := range tb.rows {
		in := &instance{name: tb.get(r, "Instance type")}
		if err := tb.readInstanceNumbers(r, in, instanceColumns{vcpus: "Instance vCPU", platformVCPUs: "Platform Total Number of vCPU",
			memory: "Instance Memory (in GB)", platformMemory: "Platform Memory (in GB)", gpus: "Instance Number of GPU"}); err != nil {
			return err
		}
		if in.gpus > 0 {
			name := tb.get(r, "Platform GPU Name")
			in.gpu = aws.gpus[strings.ToLower(name)]
			if in.gpu == "" {
				return fmt.Errorf("%s line %d: GPU %q is not in gpus.csv", tb.name, r.line, name)
			}
		}
		key := strings.ToLower(in.name)
		in.series = awsFamily(key)
		cpu := tb.get(r, "Platform CPU Name")
		cpuA, ok := cpuArch[cpu]
		if !ok {
			return fmt.Errorf("%s line %d: CPU %q is not in aws-cpu-architectures.csv", tb.name, r.line, cpu)
		}
		if archs, ok := lookupFamily(familyArchs, key); ok {
			in.archs, in.archSource = archs, "CCF AWSInstanceTypes.ts processor mapping"
		} else {
			in.archs, in.archSource = []string{cpuA}, "platform CPU "+cpu+" (aws-instances.csv)"
		}
		in.embodiedKg = embodied[key]
		aws.instances[key] = in
	}
	return nil
}

// instanceColumns names the numeric columns of an instance table.
type instanceColumns struct {
	vcpus, platformVCPUs, memory, platformMemory, gpus string
}

// readInstanceNumbers reads vCPUs (required) and the optional platform
// vCPUs, memory, platform memory and GPUs of a row into in.
func (t *table) readInstanceNumbers(r csvRow, in *instance, c instanceColumns) error {
	for _, f := range []struct {
		dst      *float64
		col      string
		optional bool
	}{
		{&in.vcpus, c.vcpus, false}, {&in.platformVCPUs, c.platformVCPUs, true}, {&in.memoryGB, c.memory, true},
		{&in.platformMemoryGB, c.platformMemory, true}, {&in.gpus, c.gpus, true},
	} {
		v, err := t.float(r, f.col, f.optional)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}

// lookupFamily finds the CCF processor mapping of an AWS instance type: the
// exact type first, then its family.
func lookupFamily(m map[string][]string, instanceType string) ([]string, bool) {
	if a, ok := m[awsBareType(instanceType)]; ok {
		return a, true
	}
	a, ok := m[awsFamily(instanceType)]
	return a, ok
}

// readEmbodied reads a cloud-carbon-coefficients embodied table into lower-cased
// type → mean total kgCO2e (the Azure table repeats a type once per
// microarchitecture with the same total).
func readEmbodied(name, typeCol, totalCol string) (map[string]float64, error) {
	tb, err := readCSV(name, typeCol, totalCol)
	if err != nil {
		return nil, err
	}
	sum := map[string]float64{}
	n := map[string]float64{}
	for _, r := range tb.rows {
		v, err := tb.float(r, totalCol, false)
		if err != nil {
			return nil, err
		}
		k := strings.ToLower(tb.get(r, typeCol))
		sum[k] += v
		n[k]++
	}
	for k := range sum {
		sum[k] /= n[k]
	}
	return sum, nil
}

// readArchRows reads an Azure or GCP instance table, whose rows repeat a type
// once per microarchitecture it may run on.
func (t *tables) readArchRows(p valdrix.Provider, name, seriesCol, typeCol string, embodied map[string]float64) error {
	tb, err := readCSV(name, seriesCol, typeCol, "Microarchitecture", "Instance vCPUs", "Instance Memory",
		"Platform vCPUs (highest vCPU possible)", "Platform Memory", "Instance GPUs")
	if err != nil {
		return err
	}
	pt := t.providers[p]
	pt.instances = map[string]*instance{}
	for _, r := range tb.rows {
		key := strings.ToLower(tb.get(r, typeCol))
		arch, ok := archFromName(tb.get(r, "Microarchitecture"))
		if !ok {
			return fmt.Errorf("%s line %d: unknown microarchitecture %q", tb.name, r.line, tb.get(r, "Microarchitecture"))
		}
		if in, seen := pt.instances[key]; seen {
			if arch != "" && !slices.Contains(in.archs, arch) {
				in.archs = append(in.archs, arch)
			}
			continue
		}
		in := &instance{name: tb.get(r, typeCol), series: tb.get(r, seriesCol), archSource: name + " microarchitecture"}
		if arch != "" {
			in.archs = []string{arch}
		}
		if err := tb.readInstanceNumbers(r, in, instanceColumns{vcpus: "Instance vCPUs", platformVCPUs: "Platform vCPUs (highest vCPU possible)",
			memory: "Instance Memory", platformMemory: "Platform Memory", gpus: "Instance GPUs"}); err != nil {
			return err
		}
		if in.gpus > 0 {
			in.gpu = pt.gpus[strings.ToLower(in.series)] // "" when the model is not known
		}
		in.embodiedKg = embodied[key]
		pt.instances[key] = in
	}
	return nil
}

func (t *tables) readAzureInstances() error {
	embodied, err := readEmbodied("data/coefficients-azure-embodied.csv", "type", "total")
	if err != nil {
		return err
	}
	return t.readArchRows(valdrix.Azure, "data/azure-instances.csv", "Series", "Virtual Machine", embodied)
}

func (t *tables) readGCPInstances() error {
	embodied, err := readEmbodied("data/coefficients-gcp-embodied-mean.csv", "type", "total_mean")
	if err != nil {
		return err
	}
	if err := t.readArchRows(valdrix.GCP, "data/gcp-instances.csv", "Machine Family", "Machine type", embodied); err != nil {
		return err
	}
	// Machine family prefixes ("n2d" of "n2d-standard-4") with the union of
	// their types' architectures, for SKUs that name the family but not the type.
	gcp := t.providers[valdrix.GCP]
	gcp.families = map[string][]string{}
	for key, in := range gcp.instances {
		fam, _, _ := strings.Cut(key, "-")
		for _, a := range in.archs {
			if !slices.Contains(gcp.families[fam], a) {
				gcp.families[fam] = append(gcp.families[fam], a)
			}
		}
	}
	return nil
}

func (t *tables) readAzureRegions() error {
	tb, err := readCSV("data/azure-regions.csv", "OriginalValue", "RegionId")
	if err != nil {
		return err
	}
	t.azureRegions = make(map[string]string, len(tb.rows))
	for _, r := range tb.rows {
		t.azureRegions[strings.ToLower(tb.get(r, "OriginalValue"))] = strings.ToLower(tb.get(r, "RegionId"))
	}
	return nil
}

func (t *tables) readAzureSizes() error {
	tb, err := readCSV("data/azure-sizes.csv", "kind", "name", "gb", "media")
	if err != nil {
		return err
	}
	t.azureSizes = map[string]map[string]sizedUnit{}
	for _, r := range tb.rows {
		gb, err := tb.float(r, "gb", false)
		if err != nil {
			return err
		}
		kind := tb.get(r, "kind")
		if t.azureSizes[kind] == nil {
			t.azureSizes[kind] = map[string]sizedUnit{}
		}
		t.azureSizes[kind][strings.ToLower(tb.get(r, "name"))] = sizedUnit{gb: gb, media: tb.get(r, "media")}
	}
	return nil
}

func (t *tables) readUsageRules() error {
	return eachProviderRow("data/usage-types.csv", []string{"class", "match", "pattern", "note"}, func(tb *table, r csvRow, p valdrix.Provider) error {
		rule := usageRule{class: tb.get(r, "class"), match: tb.get(r, "match"), pattern: tb.get(r, "pattern"), note: tb.get(r, "note")}
		switch rule.match {
		case "suffix", "contains", "icontains", "exact":
		default:
			return fmt.Errorf("%s line %d: unknown match %q", tb.name, r.line, rule.match)
		}
		t.providers[p].rules = append(t.providers[p].rules, rule)
		return nil
	})
}
