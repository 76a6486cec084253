namespace FaceWatch.ModelConversion;

/// <summary>A model cannot be converted: the message names the file and the op, tensor or field at fault.</summary>
public sealed class ModelConversionException : Exception
{
    public ModelConversionException()
    {
    }

    public ModelConversionException(string message)
        : base(message)
    {
    }

    public ModelConversionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
