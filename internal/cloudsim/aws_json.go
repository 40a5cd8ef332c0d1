package cloudsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Handlers of the JSON services: ECR, SageMaker, DynamoDB, CloudWatch Logs
// (awsJson) and Lambda (REST-JSON).

var (
	ecrHandlers = map[string]awsHandler{
		"DescribeRepositories": (*Sim).ecrDescribeRepositories,
		"GetLifecyclePolicy":   (*Sim).ecrGetLifecyclePolicy,
	}
	sagemakerHandlers = map[string]awsHandler{"ListEndpoints": (*Sim).sagemakerListEndpoints}
	dynamodbHandlers  = map[string]awsHandler{
		"ListTables":    (*Sim).dynamodbListTables,
		"DescribeTable": (*Sim).dynamodbDescribeTable,
	}
	logsHandlers   = map[string]awsHandler{"DescribeLogGroups": (*Sim).logsDescribeLogGroups}
	lambdaHandlers = map[string]awsHandler{"ListFunctions": (*Sim).lambdaListFunctions}
)

const (
	json10 = "application/x-amz-json-1.0"
	json11 = "application/x-amz-json-1.1"
)

// decodeJSON decodes the request body into v (an empty body is {}).
func decodeJSON(q *awsReq, v any) error {
	if len(q.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(q.body, v); err != nil {
		return apiError{400, "SerializationException", "the request body is not valid JSON"}
	}
	return nil
}

// jsonPage pages kind k for a JSON API.
func (s *Sim) jsonPage(q *awsReq, k Kind, token string, size, maxSize int) (from, to int, next string, err error) {
	if size == 0 {
		size = maxSize
	}
	if size < 1 || size > maxSize {
		return 0, 0, "", apiError{400, "ValidationException", "page size must be between 1 and " + strconv.Itoa(maxSize)}
	}
	lo, hi := s.kindRange(q, k)
	from, to, next, err = page(token, size, hi-lo)
	if err != nil {
		err = apiError{400, "InvalidParameterException", "The pagination token is invalid."}
	}
	return lo + from, lo + to, next, err
}

func epoch(unix int64) float64 { return float64(unix) }

func (s *Sim) ecrDescribeRepositories(q *awsReq) error {
	var in struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	from, to, next, err := s.jsonPage(q, AWSRepository, in.NextToken, in.MaxResults, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	repos := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		repos = append(repos, map[string]any{
			"repositoryArn": x.ID, "registryId": s.accountID(q), "repositoryName": x.Name,
			"repositoryUri": e.RepositoryURI(i), "createdAt": epoch(x.Created),
			"imageTagMutability": "MUTABLE", "imageScanningConfiguration": map[string]bool{"scanOnPush": false},
			"encryptionConfiguration": map[string]string{"encryptionType": "AES256"},
		})
	}
	out := map[string]any{"repositories": repos}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(q.w, json11, out)
	return nil
}

func (s *Sim) ecrGetLifecyclePolicy(q *awsReq) error {
	var in struct {
		RepositoryName string `json:"repositoryName"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	e := s.estate
	arn := "arn:aws:ecr:" + q.region + ":" + s.accountID(q) + ":repository/" + in.RepositoryName
	i, ok := e.Lookup("aws", arn)
	if !ok {
		return apiError{400, "RepositoryNotFoundException", "The repository with name '" + in.RepositoryName + "' does not exist in the registry with id '" + s.accountID(q) + "'"}
	}
	if e.Resources[i].Flags&FlagLifecycle == 0 {
		return apiError{400, "LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '" + in.RepositoryName + "'"}
	}
	writeJSON(q.w, json11, map[string]any{
		"registryId": s.accountID(q), "repositoryName": in.RepositoryName, "lastEvaluatedAt": epoch(e.Now.Unix()),
		"lifecyclePolicyText": `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`,
	})
	return nil
}

func (s *Sim) sagemakerListEndpoints(q *awsReq) error {
	var in struct {
		MaxResults int    `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	from, to, next, err := s.jsonPage(q, AWSSageMakerEndpoint, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return err
	}
	e := s.estate
	eps := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		eps = append(eps, map[string]any{
			"EndpointName": x.Name, "EndpointArn": x.ID, "CreationTime": epoch(x.Created),
			"LastModifiedTime": epoch(x.Created), "EndpointStatus": x.State,
		})
	}
	out := map[string]any{"Endpoints": eps}
	if next != "" {
		out["NextToken"] = next
	}
	writeJSON(q.w, json11, out)
	return nil
}

func (s *Sim) dynamodbListTables(q *awsReq) error {
	var in struct {
		Limit                   int    `json:"Limit"`
		ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	e := s.estate
	lo, hi := s.kindRange(q, AWSTable)
	start := lo
	if in.ExclusiveStartTableName != "" {
		i, ok := e.Lookup("aws", "arn:aws:dynamodb:"+q.region+":"+s.accountID(q)+":table/"+in.ExclusiveStartTableName)
		if !ok || i < lo || i >= hi {
			return apiError{400, "ValidationException", "ExclusiveStartTableName is not a table of this account and region"}
		}
		start = i + 1
	}
	limit := in.Limit
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 100 {
		return apiError{400, "ValidationException", "Limit must be between 1 and 100"}
	}
	end := min(hi, start+limit)
	names := make([]string, 0, end-start)
	for i := start; i < end; i++ {
		names = append(names, e.Resources[i].Name)
	}
	out := map[string]any{"TableNames": names}
	if end < hi {
		out["LastEvaluatedTableName"] = names[len(names)-1]
	}
	writeJSON(q.w, json10, out)
	return nil
}

func (s *Sim) dynamodbDescribeTable(q *awsReq) error {
	var in struct {
		TableName string `json:"TableName"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	e := s.estate
	i, ok := e.Lookup("aws", "arn:aws:dynamodb:"+q.region+":"+s.accountID(q)+":table/"+in.TableName)
	if !ok {
		return apiError{400, "ResourceNotFoundException", "Requested resource not found: Table: " + in.TableName + " not found"}
	}
	x := &e.Resources[i]
	size, items := int64(x.Size)*1024*1024, int64(x.Size)*1000
	table := map[string]any{
		"TableName": x.Name, "TableArn": x.ID, "TableStatus": x.State, "CreationDateTime": epoch(x.Created),
		"ItemCount": items, "TableSizeBytes": size,
		"BillingModeSummary":    map[string]any{"BillingMode": x.SKU},
		"ProvisionedThroughput": map[string]any{"ReadCapacityUnits": x.Size2, "WriteCapacityUnits": x.Size2, "NumberOfDecreasesToday": 0},
	}
	writeJSON(q.w, json10, map[string]any{"Table": table})
	return nil
}

func (s *Sim) logsDescribeLogGroups(q *awsReq) error {
	var in struct {
		Limit     int    `json:"limit"`
		NextToken string `json:"nextToken"`
	}
	if err := decodeJSON(q, &in); err != nil {
		return err
	}
	from, to, next, err := s.jsonPage(q, AWSLogGroup, in.NextToken, in.Limit, 50)
	if err != nil {
		return err
	}
	e := s.estate
	groups := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		g := map[string]any{
			"logGroupName": x.Name, "creationTime": x.Created * 1000, "storedBytes": int64(x.Size) * 1024 * 1024,
			"arn": x.ID + ":*", "logGroupArn": x.ID, "metricFilterCount": 0, "logGroupClass": "STANDARD",
		}
		if x.Flags&FlagRetention != 0 {
			g["retentionInDays"] = x.Size2
		}
		groups = append(groups, g)
	}
	out := map[string]any{"logGroups": groups}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(q.w, json11, out)
	return nil
}

func (s *Sim) lambdaListFunctions(q *awsReq) error {
	if q.r.Method != http.MethodGet {
		return apiError{405, "InvalidRequestException", "ListFunctions is a GET"}
	}
	size := 50
	if v := q.r.URL.Query().Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return apiError{400, "InvalidParameterValueException", "MaxItems must be between 1 and 50"}
		}
		size = n
	}
	lo, hi := s.kindRange(q, AWSFunction)
	from, to, next, err := page(q.r.URL.Query().Get("Marker"), size, hi-lo)
	if err != nil {
		return apiError{400, "InvalidParameterValueException", "The marker is invalid."}
	}
	e := s.estate
	fns := make([]map[string]any, 0, to-from)
	for i := lo + from; i < lo+to; i++ {
		x := &e.Resources[i]
		fns = append(fns, map[string]any{
			"FunctionName": x.Name, "FunctionArn": x.ID, "Runtime": x.Extra, "MemorySize": x.Size2,
			"CodeSize": int64(x.Size) * 1024, "PackageType": "Zip", "Architectures": []string{"x86_64"},
			"LastModified": time.Unix(x.Created, 0).UTC().Format("2006-01-02T15:04:05.000-0700"),
			"Handler":      "index.handler", "Timeout": 30,
		})
	}
	out := map[string]any{"Functions": fns}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(q.w, "application/json", out)
	return nil
}
