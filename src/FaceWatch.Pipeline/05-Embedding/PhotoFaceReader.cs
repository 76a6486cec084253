using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Pipeline.Embedding;

/// <summary>One face found in a photo: where it is and its aligned crop (owned here, a copy of the photo's pixels).</summary>
public sealed class PhotoFace(Rect2f box, float score, Mat crop) : IDisposable
{
    public Rect2f Box { get; } = box;

    public float Score { get; } = score;

    public Mat Crop { get; } = crop;

    public float Area => Box.Width * Box.Height;

    public void Dispose() => Crop.Dispose();
}

/// <summary>The faces of one photo, largest first. Disposes the crops.</summary>
public sealed class PhotoFaces(string file, Size imageSize, IReadOnlyList<PhotoFace> faces) : IDisposable
{
    public string File { get; } = file;

    public Size ImageSize { get; } = imageSize;

    public IReadOnlyList<PhotoFace> Faces { get; } = faces;

    public void Dispose()
    {
        foreach (var f in Faces)
        {
            f.Dispose();
        }
    }
}

/// <summary>
/// Photo file -> aligned face crops: decodes by content, detects, aligns each face to the embedder's input size.
/// With <c>aligned</c> the whole photo is taken as one already aligned face (no detection). Photos over
/// <paramref name="maxPixels"/> are refused before decoding.
/// </summary>
public sealed class PhotoFaceReader(IFaceDetector detector, Func<Mat, FaceDetection, Mat> align, long maxPixels = ImageOptions.DefaultMaxPixels)
{
    /// <summary>The pixel limit of the photos this reader decodes.</summary>
    public long MaxPixels { get; } = maxPixels;

    /// <exception cref="ImageLoadException">The file is missing or not a readable image.</exception>
    public PhotoFaces Read(string file, bool aligned = false)
    {
        using var image = ImageLoader.Load(file, MaxPixels);
        return Read(image, file, aligned);
    }

    public PhotoFaces Read(Mat image, string name, bool aligned = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (aligned)
        {
#pragma warning disable CA2000 // the returned PhotoFaces owns its crops (the caller disposes it)
            return new PhotoFaces(name, image.Size(), [new PhotoFace(new Rect2f(0, 0, image.Width, image.Height), 1f, image.Clone())]);
#pragma warning restore CA2000
        }

        var faces = new List<PhotoFace>();
        try
        {
            foreach (var d in detector.Detect(image).OrderByDescending(d => d.Box.Width * d.Box.Height))
            {
                faces.Add(new PhotoFace(d.Box, d.Score, align(image, d)));
            }
        }
        catch
        {
            foreach (var f in faces)
            {
                f.Dispose();
            }

            throw;
        }

        return new PhotoFaces(name, image.Size(), faces);
    }
}
