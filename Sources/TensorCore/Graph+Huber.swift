// The Huber function of the paper's vector loss (Townshend et al. 2020, §4.2), applied elementwise
// to error norms: ½r² up to δ, δ(r − ½δ) beyond. Quadratic near zero, linear (robust) far out.

extension Variable {
    public func huber(delta: T) -> Variable {
        graph.check(self)
        precondition(delta > 0, "huber: delta must be positive")
        let x = value
        let y = graph.output(x.shape)
        for i in 0..<x.count {
            let r = x.ptr[i]
            y.ptr[i] = abs(r) <= delta ? r * r / 2 : delta * (abs(r) - delta / 2)
        }
        return graph.record(y, .huber(id, delta: delta), id)
    }
}

extension Graph {
    /// dh/dr = r inside δ, δ·sign(r) outside.
    func huberVJP(_ x: Int, delta: T, _ g: Tensor<T>) -> Tensor<T> {
        let xv = values[x]
        let gx = gradientBuffer(xv.shape)
        withExtendedLifetime(g) {
            for i in 0..<xv.count {
                let r = xv.ptr[i]
                gx.ptr[i] = g.ptr[i] * (abs(r) <= delta ? r : (r < 0 ? -delta : delta))
            }
        }
        return gx
    }
}
