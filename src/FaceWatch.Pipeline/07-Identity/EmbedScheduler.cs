namespace FaceWatch.Pipeline.Identity;

/// <summary>
/// Decides, per track and frame, whether a face that passed the quality gates is worth embedding: at once for a new
/// track, then every <c>EmbedEveryFrames</c> frames or when the face is clearly larger or sharper, until the identity is
/// settled; after that every <c>VerifySeconds</c>, to verify it is still the same person. One instance per track;
/// single-threaded.
/// </summary>
public sealed class EmbedScheduler
{
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;
    private int _framesSinceEmbed;
    private double _bestSize;
    private double _bestSharpness;
    private long _lastEmbed;
    private bool _any;

    public EmbedScheduler(IdentityOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Embeddings asked for so far.</summary>
    public int Embedded { get; private set; }

    /// <summary>
    /// True while a settled track waits for its next verification: <see cref="ShouldEmbed"/> would say no whatever the
    /// face, so the caller need not align or measure it.
    /// </summary>
    public bool Resting(bool settled, long timestamp) =>
        _any && settled && _time.GetElapsedTime(_lastEmbed, timestamp).TotalSeconds < _options.VerifySeconds;

    /// <summary>Seconds since the last embedding asked for (infinity before the first).</summary>
    public double SinceLast(long timestamp) => _any ? _time.GetElapsedTime(_lastEmbed, timestamp).TotalSeconds : double.PositiveInfinity;

    /// <summary>
    /// Call once per frame where the track's face passed the gates; true means embed this face now. <paramref name="urgent"/>
    /// (continuity in doubt) embeds at once unless an embedding was asked for less than <paramref name="retrySeconds"/> ago.
    /// </summary>
    public bool ShouldEmbed(double faceSize, double sharpness, bool settled, long timestamp, bool urgent = false, double retrySeconds = 0)
    {
        _framesSinceEmbed++;
        bool embed;
        if (!_any)
        {
            embed = true;
        }
        else if (urgent)
        {
            embed = SinceLast(timestamp) >= retrySeconds;
        }
        else if (settled)
        {
            embed = !Resting(settled, timestamp);
        }
        else
        {
            embed = _framesSinceEmbed >= _options.EmbedEveryFrames
                || faceSize >= _bestSize * _options.BetterFaceRatio
                || sharpness >= _bestSharpness * _options.BetterFaceRatio * _options.BetterFaceRatio;
        }

        if (embed)
        {
            _any = true;
            Embedded++;
            _framesSinceEmbed = 0;
            _lastEmbed = timestamp;
            _bestSize = Math.Max(_bestSize, faceSize);
            _bestSharpness = Math.Max(_bestSharpness, sharpness);
        }

        return embed;
    }
}
