using OpenCvSharp;

using FaceWatch.Core.Text;
namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// One open session of a camera. Not thread-safe: one camera thread calls <see cref="Open"/>, <see cref="Read"/>,
/// <see cref="DescribeEnd"/> and <see cref="IDisposable.Dispose"/>; only <see cref="Abort"/> may be called from another
/// thread (to unblock a stalled read), also during or after the dispose, when it must do nothing harmful.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>Opens the source (blocking). Throws <see cref="CameraException"/> with a clear, password-free reason.</summary>
    void Open(CancellationToken cancellationToken);

    /// <summary>The next BGR frame (the caller owns it), or null at the end of the stream. Blocks.</summary>
    Mat? Read(CancellationToken cancellationToken);

    /// <summary>
    /// The pool <see cref="Read"/> rents its Mats from (the frame made of one hands it back on dispose); it outlives
    /// the source's dispose for the frames still queued. Null: the Mats are plain (disposed by their frame).
    /// </summary>
    FrameBufferPool? Buffers => null;

    /// <summary>Unblocks <see cref="Open"/>/<see cref="Read"/> from another thread; they then fail or return null.</summary>
    void Abort();

    /// <summary>True when the end of the stream is a normal end (a file played once), not a failure.</summary>
    bool EndIsFinal { get; }

    /// <summary>
    /// Why the stream ended, password-free. Called on the camera thread once <see cref="Read"/> has returned null or
    /// the reading stopped, so it may block briefly (e.g. for a child process's exit code).
    /// </summary>
    string DescribeEnd() => "stream ended";
}

/// <summary>Makes a new session for a camera on every (re)connect.</summary>
public interface IFrameSourceFactory
{
    IFrameSource Create(CameraOptions camera);
}

/// <summary>A camera failure with a message safe to log (no passwords).</summary>
public sealed class CameraException : Exception
{
    public CameraException()
    {
    }

    public CameraException(string message)
        : base(UrlRedactor.Redact(message))
    {
    }

    public CameraException(string message, Exception innerException)
        : base(UrlRedactor.Redact(message), innerException)
    {
    }
}
