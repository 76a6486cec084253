using System.CommandLine;

namespace FaceWatch.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch info: not built yet.");
            return 2;
        });
        return command;
    }
}
