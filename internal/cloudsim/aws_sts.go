package cloudsim

import (
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"

var stsHandlers = map[string]awsHandler{
	"AssumeRole":        (*Sim).stsAssumeRole,
	"GetCallerIdentity": (*Sim).stsGetCallerIdentity,
}

func (s *Sim) stsAssumeRole(q *awsReq) error {
	if !q.sess.platform {
		return apiError{403, "AccessDenied", "Role chaining is not supported by the simulator; call AssumeRole with the platform credentials."}
	}
	roleARN, ext, name := q.form.Get("RoleArn"), q.form.Get("ExternalId"), q.form.Get("RoleSessionName")
	denied := apiError{403, "AccessDenied", "User: arn:aws:iam::" + platformAccount + ":user/valdrix is not authorized to perform: sts:AssumeRole on resource: " + roleARN}
	parts := strings.Split(roleARN, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return apiError{400, "ValidationError", "RoleArn is not a valid role ARN"}
	}
	if name == "" || len(name) > 64 {
		return apiError{400, "ValidationError", "RoleSessionName must be 1 to 64 characters"}
	}
	acct, ok := s.estate.Account(valdrix.AWS, parts[4])
	if !ok {
		return denied
	}
	s.mu.Lock()
	want, trusted := s.trusted[roleARN]
	s.mu.Unlock()
	if !s.cfg.TrustAll && (!trusted || want != ext) {
		return denied
	}
	d := time.Hour
	if v := q.form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			return apiError{400, "ValidationError", "DurationSeconds must be between 900 and 43200"}
		}
		d = time.Duration(n) * time.Second
	}
	akid, ss := s.issue(acct, roleARN, name, d)
	roleName := strings.TrimPrefix(parts[5], "role/")
	var b xw
	b.open("Credentials")
	b.leaf("AccessKeyId", akid)
	b.leaf("SecretAccessKey", ss.secret)
	b.leaf("SessionToken", ss.token)
	b.leaf("Expiration", ss.expires.UTC().Format(time.RFC3339))
	b.close("Credentials")
	b.open("AssumedRoleUser")
	b.leaf("Arn", "arn:aws:sts::"+parts[4]+":assumed-role/"+roleName+"/"+name)
	b.leaf("AssumedRoleId", "AROA"+strings.ToUpper(hexID(newRand(akid), 16))+":"+name)
	b.close("AssumedRoleUser")
	writeQuery(q.w, "AssumeRole", stsXMLNS, b.Bytes())
	return nil
}

func (s *Sim) stsGetCallerIdentity(q *awsReq) error {
	var b xw
	if q.sess.platform {
		b.leaf("Arn", "arn:aws:iam::"+platformAccount+":user/valdrix")
		b.leaf("UserId", "AIDAVALDRIXPLATFORM")
		b.leaf("Account", platformAccount)
	} else {
		acct := s.accountID(q)
		role := q.sess.roleARN[strings.LastIndexByte(q.sess.roleARN, '/')+1:]
		b.leaf("Arn", "arn:aws:sts::"+acct+":assumed-role/"+role+"/"+q.sess.name)
		b.leaf("UserId", "AROAVALDRIX:"+q.sess.name)
		b.leaf("Account", acct)
	}
	writeQuery(q.w, "GetCallerIdentity", stsXMLNS, b.Bytes())
	return nil
}
