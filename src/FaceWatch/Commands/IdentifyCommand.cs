using System.CommandLine;

namespace FaceWatch.Commands;

internal static class IdentifyCommand
{
    public static Command Create()
    {
        var command = new Command("identify", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch identify: not built yet.");
            return 2;
        });
        return command;
    }
}
