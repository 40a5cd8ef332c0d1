package zombie

// Rules returns every rule, in catalogue order. Adding a rule is one file,
// one fixture in testdata/ and one line here.
func Rules() []*Rule {
	return []*Rule{
		awsIdlePublicIPv4(),
		awsIdleNATGateway(),
		awsIdleLoadBalancer(),
		awsIdleClassicLoadBalancer(),
		awsUnattachedVolume(),
		awsVolumeOnStoppedInstance(),
		awsLowIOVolume(),
		awsPreviousGenerationVolume(),
		awsOversizedVolume(),
		awsOldSnapshot(),
		awsUnusedImage(),
		awsIdleInstance(),
		awsLongRunningOnDemand(),
		awsStoppedInstance(),
		awsPreviousGenerationInstance(),
		awsShortLivedInstance(),
		awsIdleDBInstance(),
		awsLowCPUDBInstance(),
		awsOrphanedDBSnapshot(),
		awsRDSExtendedSupport(),
		awsIdleRedshiftCluster(),
		awsRDSOnDemand(),
		awsRedshiftOnDemand(),
		awsElastiCacheOnDemand(),
		awsIdleEMRCluster(),
		awsIdleLambda(),
		awsUnusedDynamoDBTable(),
		awsBucketWithoutLifecycle(),
		awsLogGroupWithoutRetention(),
		awsRepositoryWithoutLifecycle(),
		awsUnusedSecret(),
		awsUnusedHealthCheck(),
		awsPaidTrailEvents(),
		awsIdleInterfaceEndpoint(),
		awsIdleVPNConnection(),
		awsUnusedEC2Reservation(),
		awsUnusedRDSReservation(),
		awsUnusedSavingsPlan(),
		awsUnusedCapacityReservation(),

		azureUnattachedDisk(),
		azureDiskOnDeallocatedVM(),
		azureLowIODisk(),
		azureUnattachedPublicIP(),
		azureIdleVM(),
		azureDeallocatedVM(),
		azureLongRunningVM(),
		azureIdleVNetGateway(),
		azureUnprovisionedExpressRoute(),
		azureEmptyLoadBalancer(),
		azureUnusedPrivateEndpoint(),
		azureOldSnapshot(),
		azureStorageWithoutLifecycle(),
		azureSQLOnDemand(),
		azureIdleCosmosDB(),
		azureStoppedKustoCluster(),
		azureUnderutilizedDBServer(),
		azureOversizedCommitmentTier(),
		azureUnusedReservation(),
		azureEmptyResourceGroup(),

		gcpIdleDisk(),
		gcpUnusedAddress(),
		gcpUnusedImage(),
		gcpIdleInstance(),
		gcpLongRunningInstance(),
		gcpDiskOnStoppedInstance(),
		gcpOldSnapshot(),
		gcpIdleSQLInstance(),
		gcpUnusedReservation(),
		gcpStaleBigQueryTable(),
		gcpLongRetentionLogBucket(),
		gcpBucketWithoutLifecycle(),
		gcpUnusedCommitment(),
	}
}

// ByID returns the rules by id.
func ByID(rules []*Rule) map[string]*Rule {
	m := make(map[string]*Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}
