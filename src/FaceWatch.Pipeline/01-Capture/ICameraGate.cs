namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// One stretch of time in which this process may read a camera: its ownership epoch (cluster mode: the revision of the
/// camera's lease; null on a single box) and a token that fires when the stretch ends (lease lost, fenced or handed off).
/// </summary>
public sealed record CameraTerm(long? Epoch, CancellationToken Ended);

/// <summary>
/// Decides when a camera may be read. The reader waits for a term, reads while it lasts, and on its end closes the source
/// and waits for the next one. On a single box the gate is always open (<see cref="OpenCameraGate"/>); in cluster mode
/// it opens only while this node holds the camera's lease, so no camera has two live readers.
/// </summary>
public interface ICameraGate
{
    /// <summary>Waits until this process may read <paramref name="camera"/>; throws only for <paramref name="cancellationToken"/>.</summary>
    ValueTask<CameraTerm> WaitForTermAsync(string camera, CancellationToken cancellationToken);
}

/// <summary>A single box: every camera is always this process's, with no epoch and a term that never ends.</summary>
public sealed class OpenCameraGate : ICameraGate
{
    public static OpenCameraGate Instance { get; } = new();

    private static readonly CameraTerm Forever = new(null, CancellationToken.None);

    public ValueTask<CameraTerm> WaitForTermAsync(string camera, CancellationToken cancellationToken) => ValueTask.FromResult(Forever);
}
