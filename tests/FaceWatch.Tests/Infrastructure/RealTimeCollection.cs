namespace FaceWatch.Tests.Infrastructure;

/// <summary>
/// Tests that measure the daemon in real time (frame rates, reconnect timing, process RSS): they run alone,
/// after the parallel tests, so other tests neither take their CPU nor move the process-wide numbers they read.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeCollection
{
    public const string Name = "Daemon real-time";
}
