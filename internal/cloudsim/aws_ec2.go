package cloudsim

import (
	"strconv"
	"strings"
	"time"
)

var ec2Handlers = map[string]awsHandler{
	"DescribeRegions":     (*Sim).ec2DescribeRegions,
	"DescribeInstances":   (*Sim).ec2DescribeInstances,
	"DescribeVolumes":     (*Sim).ec2DescribeVolumes,
	"DescribeSnapshots":   (*Sim).ec2DescribeSnapshots,
	"DescribeAddresses":   (*Sim).ec2DescribeAddresses,
	"DescribeNatGateways": (*Sim).ec2DescribeNatGateways,
	"DescribeImages":      (*Sim).ec2DescribeImages,
}

// ec2Page validates the common paging and filter parameters and returns the
// window of [lo, hi) to answer.
func (s *Sim) ec2Page(q *awsReq, k Kind, maxPage int) (from, to int, next string, err error) {
	for key := range q.form {
		if strings.HasPrefix(key, "Filter.") {
			return 0, 0, "", errInvalid("The simulator does not support filters on " + q.op)
		}
		if strings.HasPrefix(key, "Owner.") {
			if v := q.form.Get(key); v != "self" && v != s.accountID(q) {
				return 0, 0, "", nil
			}
		}
	}
	size := maxPage
	if v := q.form.Get("MaxResults"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 5 || n > maxPage {
			return 0, 0, "", errInvalid("MaxResults must be between 5 and " + strconv.Itoa(maxPage))
		}
		size = n
	}
	lo, hi := s.kindRange(q, k)
	from, to, next, err = page(q.form.Get("NextToken"), size, hi-lo)
	return lo + from, lo + to, next, err
}

func (s *Sim) ec2DescribeRegions(q *awsReq) error {
	var b xw
	b.open("regionInfo")
	for _, r := range awsRegions {
		b.open("item")
		b.leaf("regionName", r.Name)
		b.leaf("regionEndpoint", "ec2."+r.Name+".amazonaws.com")
		b.leaf("optInStatus", "opt-in-not-required")
		b.close("item")
	}
	b.close("regionInfo")
	writeEC2(q.w, "DescribeRegions", b.Bytes())
	return nil
}

func ec2State(state string) (code int, name string) {
	switch state {
	case "running":
		return 16, "running"
	case "stopped":
		return 80, "stopped"
	}
	return 0, state
}

func (s *Sim) ec2DescribeInstances(q *awsReq) error {
	from, to, next, err := s.ec2Page(q, AWSInstance, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("reservationSet")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("reservationId", "r-"+x.ID[2:])
		b.leaf("ownerId", s.accountID(q))
		b.open("instancesSet")
		b.open("item")
		b.leaf("instanceId", x.ID)
		b.leaf("imageId", e.ImageIDOf(i))
		code, name := ec2State(x.State)
		b.open("instanceState")
		b.int("code", int64(code))
		b.leaf("name", name)
		b.close("instanceState")
		b.leaf("instanceType", x.SKU)
		b.time("launchTime", x.Created)
		b.open("placement")
		b.leaf("availabilityZone", e.Zone(i))
		b.leaf("tenancy", "default")
		b.close("placement")
		b.leaf("platformDetails", "Linux/UNIX")
		b.leaf("architecture", "x86_64")
		b.leaf("rootDeviceType", "ebs")
		if x.State == "stopped" {
			b.leaf("reason", "User initiated ("+time.Unix(x.Changed, 0).UTC().Format("2006-01-02 15:04:05")+" GMT)")
		} else {
			b.leaf("reason", "")
		}
		b.open("cpuOptions")
		b.int("coreCount", int64(max(1, vcpus(x.SKU)/2)))
		b.int("threadsPerCore", int64(min(2, vcpus(x.SKU))))
		b.close("cpuOptions")
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
		b.close("instancesSet")
		b.close("item")
	}
	b.close("reservationSet")
	b.opt("nextToken", next)
	writeEC2(q.w, "DescribeInstances", b.Bytes())
	return nil
}

func (s *Sim) ec2DescribeVolumes(q *awsReq) error {
	from, to, next, err := s.ec2Page(q, AWSVolume, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("volumeSet")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("volumeId", x.ID)
		b.int("size", int64(x.Size))
		b.leaf("snapshotId", "")
		b.leaf("availabilityZone", e.Zone(i))
		b.leaf("status", x.State)
		b.time("createTime", x.Created)
		b.open("attachmentSet")
		if x.Ref >= 0 {
			b.open("item")
			b.leaf("volumeId", x.ID)
			b.leaf("instanceId", e.Resources[x.Ref].ID)
			b.leaf("device", "/dev/xvda")
			b.leaf("status", "attached")
			b.time("attachTime", x.Created)
			b.bool("deleteOnTermination", true)
			b.close("item")
		}
		b.close("attachmentSet")
		b.leaf("volumeType", x.SKU)
		if x.Size2 > 0 {
			b.int("iops", int64(x.Size2))
		}
		b.bool("encrypted", x.Flags&FlagEncrypted != 0)
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
	}
	b.close("volumeSet")
	b.opt("nextToken", next)
	writeEC2(q.w, "DescribeVolumes", b.Bytes())
	return nil
}

func (s *Sim) ec2DescribeSnapshots(q *awsReq) error {
	from, to, next, err := s.ec2Page(q, AWSSnapshot, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("snapshotSet")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("snapshotId", x.ID)
		b.leaf("volumeId", e.SnapshotVolumeID(i))
		b.leaf("status", x.State)
		b.time("startTime", x.Created)
		b.leaf("progress", "100%")
		b.leaf("ownerId", s.accountID(q))
		b.int("volumeSize", int64(x.Size))
		b.leaf("description", x.Extra)
		b.bool("encrypted", false)
		b.leaf("storageTier", "standard")
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
	}
	b.close("snapshotSet")
	b.opt("nextToken", next)
	writeEC2(q.w, "DescribeSnapshots", b.Bytes())
	return nil
}

// ec2DescribeAddresses answers every address of the region at once, as
// DescribeAddresses does not paginate.
func (s *Sim) ec2DescribeAddresses(q *awsReq) error {
	for key := range q.form {
		if strings.HasPrefix(key, "Filter.") {
			return errInvalid("The simulator does not support filters on DescribeAddresses")
		}
	}
	e := s.estate
	lo, hi := s.kindRange(q, AWSAddress)
	var b xw
	b.open("addressesSet")
	for i := lo; i < hi; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("publicIp", x.Extra)
		b.leaf("allocationId", x.ID)
		b.leaf("domain", "vpc")
		if x.Ref >= 0 {
			b.leaf("instanceId", e.Resources[x.Ref].ID)
			b.leaf("associationId", "eipassoc-"+x.ID[len("eipalloc-"):])
			b.leaf("networkInterfaceId", "eni-"+x.ID[len("eipalloc-"):])
		}
		b.leaf("publicIpv4Pool", "amazon")
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
	}
	b.close("addressesSet")
	writeEC2(q.w, "DescribeAddresses", b.Bytes())
	return nil
}

func (s *Sim) ec2DescribeNatGateways(q *awsReq) error {
	from, to, next, err := s.ec2Page(q, AWSNatGateway, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("natGatewaySet")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("natGatewayId", x.ID)
		b.leaf("state", x.State)
		b.time("createTime", x.Created)
		b.leaf("connectivityType", "public")
		b.leaf("vpcId", "vpc-"+x.ID[4:12])
		b.leaf("subnetId", "subnet-"+x.ID[4:20])
		b.open("natGatewayAddressSet")
		b.open("item")
		b.leaf("publicIp", x.Extra)
		b.leaf("allocationId", "eipalloc-"+x.ID[4:])
		b.bool("isPrimary", true)
		b.close("item")
		b.close("natGatewayAddressSet")
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
	}
	b.close("natGatewaySet")
	b.opt("nextToken", next)
	writeEC2(q.w, "DescribeNatGateways", b.Bytes())
	return nil
}

func (s *Sim) ec2DescribeImages(q *awsReq) error {
	if len(q.form["Owner.1"]) == 0 {
		return errInvalid("The simulator answers DescribeImages only for Owners=self (all public images would be too many)")
	}
	from, to, next, err := s.ec2Page(q, AWSImage, 1000)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("imagesSet")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("item")
		b.leaf("imageId", x.ID)
		b.leaf("name", x.Name)
		b.leaf("imageState", x.State)
		b.leaf("creationDate", rfc3339(x.Created))
		b.leaf("architecture", x.Extra)
		b.leaf("imageType", "machine")
		b.bool("isPublic", false)
		b.leaf("imageOwnerId", s.accountID(q))
		b.leaf("rootDeviceType", "ebs")
		b.leaf("rootDeviceName", "/dev/xvda")
		b.open("blockDeviceMapping")
		if x.Ref >= 0 {
			snap := &e.Resources[x.Ref]
			b.open("item")
			b.leaf("deviceName", "/dev/xvda")
			b.open("ebs")
			b.leaf("snapshotId", snap.ID)
			b.int("volumeSize", int64(snap.Size))
			b.leaf("volumeType", "gp3")
			b.bool("deleteOnTermination", true)
			b.close("ebs")
			b.close("item")
		}
		b.close("blockDeviceMapping")
		b.tags("tagSet", e.Tags(i), "key", "value", "item")
		b.close("item")
	}
	b.close("imagesSet")
	b.opt("nextToken", next)
	writeEC2(q.w, "DescribeImages", b.Bytes())
	return nil
}
