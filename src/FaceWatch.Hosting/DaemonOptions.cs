using FaceWatch.Pipeline.Capture;

using FaceWatch.Pipeline.Identification;
namespace FaceWatch.Hosting;

/// <summary>Section <c>Gallery</c>: the people the daemon knows.</summary>
public sealed class GalleryOptions
{
    public const string SectionName = "Gallery";

    /// <summary>Gallery file made by <c>facewatch enroll</c>; reloaded when it changes. Empty: the demo gallery (demo mode) or nobody.</summary>
    public string Path { get; set; } = "";
}

/// <summary>Section <c>Demo</c>: what runs when no camera is configured.</summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>Play the demo when <c>Cameras</c> is empty.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Video played in a loop as camera <c>demo</c>. Empty: <c>demo/short_hamilton_clip.mp4</c> (working folder, then next to the executable), then <c>../shared/data/video/short_hamilton_clip.mp4</c>.</summary>
    public string Source { get; set; } = "";

    /// <summary>Folder of <c>person/*.jpg</c> enrolled in memory at start when <c>Gallery:Path</c> is empty. Empty: <c>demo/gallery</c>.</summary>
    public string Gallery { get; set; } = "";
}

/// <summary>The <c>Cameras</c> list (bound from the configuration array).</summary>
public sealed class CamerasOptions
{
    public const string SectionName = "Cameras";

    public List<CameraOptions> Items { get; } = [];
}
