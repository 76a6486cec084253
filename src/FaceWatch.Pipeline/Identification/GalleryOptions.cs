namespace FaceWatch.Pipeline.Identification;

/// <summary>Section <c>Gallery</c>: where the enrolled face set lives.</summary>
public sealed class GalleryOptions
{
    public const string SectionName = "Gallery";

    /// <summary>The verbs' default when <see cref="Path"/> is empty: <c>gallery.json</c> in the working directory.</summary>
    public const string DefaultFile = "gallery.json";

    /// <summary>Gallery file made by <c>facewatch enroll</c>. Empty: <see cref="DefaultFile"/> for the verbs.</summary>
    public string Path { get; set; } = "";
}
