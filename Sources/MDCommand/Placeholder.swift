public enum MDCommand { public static func main() {} }
