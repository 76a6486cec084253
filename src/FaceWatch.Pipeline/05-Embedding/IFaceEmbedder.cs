using OpenCvSharp;

namespace FaceWatch.Pipeline.Embedding;

/// <summary>Turns aligned face crops (BGR) into L2-normalised embeddings. Thread-safe.</summary>
public interface IFaceEmbedder
{
    /// <summary>Size in pixels of the square aligned crop the model takes.</summary>
    int InputSize { get; }

    /// <summary>Length of one embedding.</summary>
    int Dimension { get; }

    /// <summary>Identity of the embedding model (SHA-256 of the file), stored in galleries.</summary>
    string ModelId { get; }

    /// <summary>Name of the embedding model shown to users (the model file's name), never empty.</summary>
    string ModelName => GetType().Name;

    /// <summary>Embeds all crops in one batched call; one L2-normalised vector per crop.</summary>
    float[][] Embed(IReadOnlyList<Mat> alignedCrops);
}
