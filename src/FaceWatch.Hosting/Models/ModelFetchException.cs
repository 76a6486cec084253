namespace FaceWatch.Hosting.Models;

/// <summary>Models cannot be fetched, converted or verified; the message says what to do.</summary>
public sealed class ModelFetchException : Exception
{
    public ModelFetchException()
    {
    }

    public ModelFetchException(string message)
        : base(message)
    {
    }

    public ModelFetchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
