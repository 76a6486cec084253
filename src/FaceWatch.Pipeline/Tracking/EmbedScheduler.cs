namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Decides, per track and frame, whether a face that passed the quality gates is worth embedding: at once for a new
/// track, then every <c>EmbedEveryFrames</c> frames or when the face is clearly larger or sharper, until the identity is
/// settled; after that only every <c>RecheckSeconds</c>. One instance per track; single-threaded.
/// </summary>
public sealed class EmbedScheduler
{
    private readonly RecognitionOptions _options;
    private readonly TimeProvider _time;
    private int _framesSinceEmbed;
    private double _bestSize;
    private double _bestSharpness;
    private long _lastEmbed;
    private bool _any;

    public EmbedScheduler(RecognitionOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>
    /// True while a settled track waits for its recheck: <see cref="ShouldEmbed"/> would say no whatever the face, so the
    /// caller need not align or measure it (settled stays settled, so skipping that call changes nothing later).
    /// </summary>
    public bool Resting(bool settled, long timestamp) =>
        _any && settled && _time.GetElapsedTime(_lastEmbed, timestamp).TotalSeconds < _options.RecheckSeconds;

    /// <summary>Call once per frame where the track's face passed the gates; true means embed this face now.</summary>
    public bool ShouldEmbed(double faceSize, double sharpness, bool settled, long timestamp)
    {
        _framesSinceEmbed++;
        bool embed;
        if (!_any)
        {
            embed = true;
        }
        else if (settled)
        {
            embed = !Resting(settled, timestamp);
        }
        else
        {
            embed = _framesSinceEmbed >= _options.EmbedEveryFrames
                || faceSize >= _bestSize * _options.BetterFaceRatio
                || (_options.MinSharpness > 0 && sharpness >= _bestSharpness * _options.BetterFaceRatio * _options.BetterFaceRatio);
        }

        if (embed)
        {
            _any = true;
            _framesSinceEmbed = 0;
            _lastEmbed = timestamp;
            _bestSize = Math.Max(_bestSize, faceSize);
            _bestSharpness = Math.Max(_bestSharpness, sharpness);
        }

        return embed;
    }
}
