namespace FaceWatch.Pipeline.LiveView;

/// <summary>
/// What the running pipeline loaded, for <c>/healthz</c>: set by the host once the gallery is read
/// (and again when it changes). Register as a singleton.
/// </summary>
public sealed class PipelineStatus
{
    private volatile GalleryStatus? _gallery;

    public GalleryStatus? Gallery
    {
        get => _gallery;
        set => _gallery = value;
    }
}

/// <summary>The loaded gallery: how many people and face embeddings, and from which file.</summary>
public sealed record GalleryStatus(int People, int Embeddings, string? File);
