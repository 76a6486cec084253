namespace FaceWatch.Hosting.LiveView;

/// <summary>Section <c>Debug</c>: desktop overlay windows (also switched on by <c>facewatch run --show</c>).</summary>
public sealed class OverlayWindowOptions
{
    public const string SectionName = "Debug";

    /// <summary>One OpenCV window per camera with boxes, names, fps and dropped frames.</summary>
    public bool Windows { get; set; }
}
