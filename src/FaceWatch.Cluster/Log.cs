using Microsoft.Extensions.Logging;

namespace FaceWatch.Cluster;

/// <summary>Log lines of cluster mode: state changes only (claims, losses, fences, nodes), never per renewal, never credentials.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Cluster: node '{Node}' claimed camera '{Camera}' (epoch {Epoch})")]
    public static partial void Claimed(ILogger logger, string node, string camera, ulong epoch);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Cluster: renewing the lease of camera '{Camera}' (epoch {Epoch}) failed: {Error}; retrying, the node stops the camera by itself {FenceInSeconds:F1} s after the last renewal")]
    public static partial void RenewFailing(ILogger logger, string camera, ulong epoch, string error, double fenceInSeconds);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "Cluster: the lease of camera '{Camera}' (epoch {Epoch}) renews again")]
    public static partial void RenewRecovered(ILogger logger, string camera, ulong epoch);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "Cluster: fenced camera '{Camera}' (epoch {Epoch}): no successful renewal for {Seconds:F1} s (2/3 of the {LeaseSeconds:F1} s lease); this node no longer owns it")]
    public static partial void Fenced(ILogger logger, string camera, ulong epoch, double seconds, double leaseSeconds);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Cluster: lost the lease of camera '{Camera}' (epoch {Epoch}): its revision changed under this node (expired or taken over)")]
    public static partial void Lost(ILogger logger, string camera, ulong epoch);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Information, Message = "Cluster: released camera '{Camera}' (epoch {Epoch}){Note}")]
    public static partial void Released(ILogger logger, string camera, ulong epoch, string note);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Debug, Message = "Cluster: camera '{Camera}' is held by '{Owner}' (epoch {Epoch})")]
    public static partial void HeldByOther(ILogger logger, string camera, string owner, ulong epoch);

    [LoggerMessage(EventId = 9010, Level = LogLevel.Information, Message = "Cluster: node '{Node}' registered in site '{Site}' (capacity {Capacity})")]
    public static partial void NodeRegistered(ILogger logger, string node, string site, double capacity);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Warning, Message = "Cluster: heartbeat of node '{Node}' failed: {Error}; other nodes drop it after Cluster:NodeTtlSeconds without one")]
    public static partial void HeartbeatFailing(ILogger logger, string node, string error);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Information, Message = "Cluster: heartbeat of node '{Node}' works again")]
    public static partial void HeartbeatRecovered(ILogger logger, string node);

    [LoggerMessage(EventId = 9013, Level = LogLevel.Warning, Message = "Cluster: another process also calls itself node '{Node}' in site '{Site}' (instance {Other}, this one {Instance}): give every node its own Cluster:Node")]
    public static partial void DuplicateNode(ILogger logger, string node, string site, string other, string instance);

    [LoggerMessage(EventId = 9014, Level = LogLevel.Information, Message = "Cluster: node '{Node}' unregistered")]
    public static partial void NodeUnregistered(ILogger logger, string node);

    [LoggerMessage(EventId = 9020, Level = LogLevel.Information, Message = "Cluster: bucket '{Bucket}' ready (max age {MaxAgeSeconds:F1} s, {Replicas} replica(s)) on {Url}")]
    public static partial void BucketReady(ILogger logger, string bucket, double maxAgeSeconds, int replicas, string url);
}
